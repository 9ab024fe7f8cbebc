#!/usr/bin/env bash
# Debian packages the tests need: Chromium for browser tests, CJK fonts so Chinese
# renders in screenshots and PDFs, poppler for PDF text checks, ffmpeg (ffprobe reads lesson
# videos; ffmpeg makes the sample media). Installs only what is missing.
# With arguments, only those tools: `scripts/system-deps.sh ffmpeg` (make run needs only ffmpeg).
set -euo pipefail
need=()
if [ $# -gt 0 ]; then
  for tool in "$@"; do
    case "$tool" in
      ffmpeg) { command -v ffmpeg >/dev/null && command -v ffprobe >/dev/null; } || need+=(ffmpeg) ;;
      *) echo "unknown tool: $tool" >&2; exit 2 ;;
    esac
  done
  set -- ; only=1
else
  only=0
fi
if [ "$only" = 0 ]; then
[ -x /usr/bin/chromium ] || need+=(chromium)
[ -d /usr/share/fonts/opentype/noto ] && fc-list 2>/dev/null | grep -qi "Noto Sans CJK" || need+=(fonts-noto-cjk)
[ -f /usr/share/fonts/truetype/wqy/wqy-microhei.ttc ] || need+=(fonts-wqy-microhei)
command -v pdftotext >/dev/null || need+=(poppler-utils poppler-data)
command -v wrk >/dev/null || need+=(wrk)
{ command -v ffmpeg >/dev/null && command -v ffprobe >/dev/null; } || need+=(ffmpeg)
fi
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "missing system packages: ${need[*]} (run as root: apt-get install -y ${need[*]})" >&2
    exit 0
  fi
  echo "installing: ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

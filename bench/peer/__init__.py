"""NTBase against a peer (Indico) in one run: python -m bench.peer.run (not part of CI)."""

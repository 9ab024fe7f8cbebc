from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField

from ntbase.kernel.tabular import XLSX_TYPE


class BulkUploadForm(FlaskForm):
    file = FileField(_l("CSV or XLSX file of codes"),
                     description=_l("One code per row, in a column headed “证书编号” (or “code”). Optional "
                                    "columns “姓名” and “身份证号” are cross-checked. At most 100,000 rows "
                                    "and 20 MB."),
                     render_kw={"accept": f".csv,.xlsx,text/csv,{XLSX_TYPE}"})

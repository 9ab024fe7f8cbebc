"""Employers (用人单位): the unit that employs professional and technical staff.

The measures give the employer more duties than anyone else: plan, organise, record and
report its staff's continuing education (Art. 9, 27), choose the institution and content
(Art. 12), convert self-study into hours (Art. 17(6)), sign contracts for long training
(Art. 10), be assessed (Art. 28) and recover fees (Art. 30).

Layer: above hours, below office. Imports accounts, bases, catalog, payments, enrollment,
certificates, hours and kernel; never office, learning, attendance or the web layer.
"""

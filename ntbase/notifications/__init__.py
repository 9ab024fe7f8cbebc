"""Notifications: one notice per change a user cares about, in their language, in the app
and over the channels they chose (e-mail, SMS), delivered by the worker after commit.

In the layer just above accounts (users, their language, e-mail and mobile, and the in-app
``Notice`` rows stay there): every domain above can tell its users something through
``notifications.services.notify``, and accounts itself stays free of SMTP and SMS.
"""

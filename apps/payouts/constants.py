from decimal import Decimal

# An admin sets a reader's share of what clients pay within these bounds (SPEC §3; default READER_DEFAULT_RATE).
SHARE_RATE_MIN = Decimal("0.50")
SHARE_RATE_MAX = Decimal("0.90")

# What Stripe Connect reports in ``account.requirements``, and the readable words a reader sees for it.
REQUIREMENT_WORDS = {
    "external_account": "a bank account for your payouts",
    "individual.verification.document": "a photo of an identity document",
    "individual.id_number": "your tax identification number",
    "individual.ssn_last_4": "the last four digits of your social security number",
    "individual.dob.day": "your date of birth",
    "individual.address.line1": "your address",
    "individual.phone": "your phone number",
    "individual.email": "your email address",
    "tos_acceptance.date": "accepting Stripe's terms",
    "tos_acceptance.ip": "accepting Stripe's terms",
    "business_profile.url": "a website or profile link",
    "business_profile.mcc": "what your business does",
    "business_profile.product_description": "a description of what you offer",
    "business_profile.support_phone": "a support phone number",
}

# The weekly batch runs on Mondays at 09:00 UTC (config/celery.py reads these).
BATCH_WEEKDAY = 0  # Monday, as datetime.weekday() counts
BATCH_HOUR_UTC = 9

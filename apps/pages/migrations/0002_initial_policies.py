"""The platform's Terms of Service, Privacy Policy and Refund Policy as first published.

Admins edit them afterwards in the Django admin (each edit is audited and bumps the version). This
migration only creates a policy that does not exist yet, so it never overwrites an edited text.
"""

from django.db import migrations

TERMS = """\
These terms are the agreement between you and SoulSeer for using the SoulSeer website and apps. By creating an account or using SoulSeer you accept them. Please read them together with our Privacy Policy and our Refund Policy, which are part of these terms.

## Who can use SoulSeer

- You must be at least 18 years old.
- You must give accurate information when you sign up and keep your email address up to date; we use it for receipts, booking confirmations and account security.
- One person, one account. You are responsible for keeping your password private and for what happens in your account.

## What a reading is

Readers on SoulSeer offer spiritual guidance such as psychic, tarot, astrology and mediumship readings. A reading reflects the reader's own intuition and interpretation. It is not medical, psychological, legal or financial advice and is not a substitute for a qualified professional. No reader and no reading can guarantee an outcome.

If you are in crisis or think you may be in danger, contact your local emergency services.

Readers are independent practitioners approved by SoulSeer after an application review. They are not SoulSeer employees, and they decide what guidance they give.

## Your wallet

Readings and other purchases on SoulSeer are paid from your SoulSeer wallet, a prepaid balance in US dollars.

- You add money to your wallet (a top-up) through Stripe Checkout. Your card details are entered on Stripe's secure payment page and are handled by Stripe; they never pass through or get stored on SoulSeer's servers.
- Your wallet is credited once Stripe confirms the payment to us.
- Wallet balance can only be spent on SoulSeer. It is not a bank account, earns no interest, and cannot be transferred to another user.
- Every movement of money in your wallet is recorded as a transaction you can see in your dashboard.

## Pay-per-minute readings

Each reader sets their own price per minute for text, voice and video readings. The price is shown before you start, and your wallet must hold at least one minute at that price before a reading can begin.

- Billing is prepaid, one minute at a time. When the reading becomes active, the first minute is charged. Each further minute is charged when it starts.
- Every started minute is charged in full.
- Only time while the reading is active counts. Time while a reading is paused or reconnecting is not charged.
- When your wallet cannot pay for the next minute, the reading pauses before that minute begins, and you can top up without leaving. If the reading stays paused for 3 minutes, it ends.
- If either side loses the connection, there is a grace period of 5 minutes in total per reading to reconnect. Reconnecting continues the same minute; it never starts a new one. If the grace period runs out, or the connection drops more than 5 times, the reading ends.
- Either side can end a reading at any time. You are never charged for a minute that has not started.

## Scheduled readings

You can book a reader for 15, 30, 45 or 60 minutes at a time they have made available. The price is the length of the reading multiplied by the reader's per-minute rate for scheduled readings. It is taken from your wallet when you book and held until the reading takes place. Cancellations are refunded as set out in the Refund Policy, which is shown to you when you book.

## Readers and earnings

Readers keep 70% of what clients pay for their readings, gifts, tickets and paid replies. SoulSeer keeps 30% to run the platform. Reader earnings are paid out through Stripe Connect; a reader must complete Stripe's verification before receiving payouts.

## Conduct

You agree not to:

- harass, threaten, or abuse anyone, or post hateful, sexual, or illegal content;
- ask for or share payment outside SoulSeer, or try to move a reader or client off the platform to avoid fees;
- record or publish a reading without the consent of everyone taking part;
- impersonate anyone, use another person's account, or create accounts to get around a suspension;
- interfere with the platform, including automated sign-ups, scraping, or probing for security weaknesses.

Anyone can report content they believe breaks these rules. Admins review reports and may hide or remove content, warn a user, or suspend an account. Moderation decisions are recorded.

## Chargebacks and payment disputes

If you believe a charge is wrong, please contact us through the Help Center first; we can usually resolve it quickly. If you dispute a card payment with your bank instead, we freeze your SoulSeer account while the dispute is open: the disputed amount is taken from your wallet balance as far as it covers it, and you cannot top up, start or book readings, or spend from your wallet until the dispute is resolved.

## Suspending and closing accounts

You can ask us to delete your account at any time (see the Privacy Policy). We may suspend or close an account that breaks these terms, that is involved in fraud or payment disputes, or where the law requires it. Records of payments are kept as the law requires even after an account is closed.

## Changes to these terms

When we change these terms, we publish the new text on this page; the version number and the date of the last update are shown at the top. Continuing to use SoulSeer after a change means you accept the updated terms.

## Contact

Questions about these terms? Write to us through the contact form in the Help Center.
"""

PRIVACY = """\
This policy explains what personal information SoulSeer collects, why, who we share it with, how it is protected, and the choices you have. It applies to the SoulSeer website and apps.

## What we collect

- Account details: your email address, display name, password (stored only as a salted hash, never in readable form), profile photo if you add one, time zone, theme and notification preferences.
- Reader applications: the biography, specialties, tools, years of experience and photo a reader submits, and the outcome of the review.
- Readings and bookings: who took part, the modality (text, voice or video), start and end times, minutes billed, amounts, reconnections, the transcript of text readings, your private notes and the reviews you leave.
- Messages: messages you send and receive on SoulSeer, and posts in the community forums.
- Support requests: what you write to us through the Help Center contact form, with the name and email address you give, and our answers.
- Payments: your wallet transactions, and the payment confirmations and identifiers Stripe sends us (such as amounts and payment references). We never receive or store your card number.
- Technical and security data: your IP address when you sign in or perform sensitive actions, records of administrative actions, and error reports when something breaks.

## How we use it

- to run your account and provide readings, bookings, messages and payments;
- to keep an accurate, auditable record of every movement of money;
- to email you about your account, payments, bookings and messages, as set in your notification preferences;
- to keep SoulSeer safe: preventing fraud and abuse, enforcing our terms, and reviewing reports;
- to answer your questions and support requests;
- to meet legal, tax and accounting obligations.

We do not sell your personal information, and we do not use it for advertising.

## Who we share it with

We share personal information only with the service providers that run parts of SoulSeer for us, and only what each needs:

- Stripe: wallet top-ups, shop payments, and reader payouts (Stripe Connect, including the identity verification Stripe requires of readers).
- Agora: the real-time network that carries voice, video and livestream media, and live message delivery.
- Our hosting, database, file storage and email delivery providers, which store and process data on our behalf.
- Sentry: reports about errors in our software, configured not to include personal data by default.

We may also disclose information when the law requires it, or to protect the safety of our users.

Other users see only what you choose to show: your display name and photo, your reviews, your posts, and messages you send them. Readers see the name and messages of the clients they read for.

## Security and encryption

We want to be precise about what is and is not encrypted:

- Connections to SoulSeer use TLS (HTTPS), which encrypts data travelling between your device and our servers.
- Voice and video are carried by Agora's real-time network, not by our servers. How that media is encrypted depends on Agora's platform and its configuration. We do not claim that voice or video readings are end-to-end encrypted.
- Text messages and text-reading transcripts are stored on our servers so that both participants can read them later and so that reports can be reviewed. They are NOT end-to-end encrypted. Our staff can technically access them, and do so only for support, safety, moderation or legal reasons.
- Card details are handled by Stripe and never touch our servers.
- Passwords are stored as salted hashes. Administrator accounts must use two-factor authentication, and every administrative action is recorded in an audit log that cannot be edited.

No system is perfectly secure, but we work to protect your information and will tell you if a breach affects you as the law requires.

## Cookies

We use only the cookies SoulSeer needs to work: keeping you signed in, protecting forms against cross-site request forgery, and remembering your settings. We do not use advertising or third-party tracking cookies.

## How long we keep information

We keep your information while your account is open. When you delete your account, we remove or anonymise your personal information. Records of money movements (wallet and ledger transactions) are kept for accounting and legal reasons, with your identity removed from them. Audit and security records are kept as long as needed to protect the platform and meet legal obligations.

## Your rights (including GDPR and CCPA)

Depending on where you live, you have the right to:

- access your personal information and receive a copy (data export);
- correct information that is wrong;
- have your account and personal information deleted;
- object to or restrict some uses of your information;
- not be treated differently for exercising these rights.

Data export: on request we prepare a file in JSON format with your profile, readings, bookings, messages and transactions, and send you a link to download it. The link expires after a short time.

Account deletion: on request we send a confirmation email to the address on your account. Once you confirm, we anonymise your personal information as described above.

To make a request, use the contact form in the Help Center from the email address on your account (or sign in first). We answer requests within the time the law allows (one month under the GDPR, 45 days under the CCPA). You may also complain to your local data protection authority.

## Children

SoulSeer is for adults only. We do not knowingly collect information from anyone under 18; if we learn we have, we delete it.

## Changes to this policy

When we change this policy, we publish the new text on this page; the version number and the date of the last update are shown at the top.

## Contact

Questions about your privacy? Write to us through the contact form in the Help Center.
"""

REFUNDS = """\
This policy explains when money is returned to you, and how. It is part of our Terms of Service.

## Where refunds go

Refunds for readings and bookings go back to your SoulSeer wallet straight away, and you can see each one in your transaction history. A refund of unspent wallet balance to your card is made through Stripe; how long it takes to appear on your statement depends on your bank.

## Wallet top-ups

Top-ups are paid through Stripe Checkout; your card details never touch our servers. If you topped up by mistake and have not spent the money, contact us through the Help Center. We review every request, and approved refunds of unspent balance are returned to the card you paid with.

## Pay-per-minute readings

Pay-per-minute readings are prepaid one minute at a time, and every started minute is charged in full. You are never charged for a minute that has not started, for time while a reading is paused or reconnecting, or after a reading ends. Minutes that took place are not refunded automatically.

If a reading was cut short or disrupted by a technical problem, contact us with the reader's name and the date and time of the reading. We review the reading's record and, where a refund is due, credit your wallet.

## Scheduled readings

The price of a scheduled reading is taken from your wallet when you book and held until the reading. If the booking is cancelled, the refund depends on who cancels and when, measured from the booked start time:

- You cancel 24 hours or more before the start: 100% refund.
- You cancel between 24 hours and 2 hours before the start: 50% refund.
- You cancel less than 2 hours before the start, or you do not attend: no refund.
- The reader cancels, at any time: 100% refund.

The policy is shown to you before you book and saved with your booking, so the rules that apply are the ones you saw. If your reader did not attend a booked reading, contact us and we will review it.

## Gifts, livestream tickets and paid replies

Gifts sent during livestreams, tickets for premium livestreams and unlocked paid replies are final once they have been delivered. If something went wrong (for example, a stream you paid for did not take place), contact us and we will review it.

## Shop orders

If an order arrives damaged, is wrong, or does not arrive, contact us through the Help Center with your order number. We review every case and, where the order was at fault, arrange a replacement or a refund. Digital items can be downloaded again from your order page at any time.

## Chargebacks

Please contact us before disputing a payment with your bank; we can usually resolve problems faster. If you do file a dispute (a chargeback), your account is frozen while the dispute is open: the disputed amount is taken from your wallet balance as far as it covers it, and you cannot top up, start or book readings, or spend from your wallet until the dispute is resolved.

## Readers

Readers keep 70% of what clients pay. When a reading or booking is refunded, the refunded amount is not paid to the reader; when part of a booking is kept under this policy, the reader receives their 70% share of the part that is kept.

## Contact

To ask for a refund or question a charge, use the contact form in the Help Center and include the date and, if you have one, the reference shown in your transaction history.
"""

POLICIES = [
    ("terms", "Terms of Service", TERMS),
    ("privacy", "Privacy Policy", PRIVACY),
    ("refunds", "Refund Policy", REFUNDS),
]


def create_policies(apps, schema_editor):
    Policy = apps.get_model("pages", "Policy")
    for slug, title, body in POLICIES:
        Policy.objects.get_or_create(slug=slug, defaults={"title": title, "body": body, "version": 1})


class Migration(migrations.Migration):
    dependencies = [("pages", "0001_initial")]

    operations = [migrations.RunPython(create_policies, migrations.RunPython.noop)]

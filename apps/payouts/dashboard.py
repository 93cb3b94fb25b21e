"""Dashboard sections of the payouts app."""

from apps.dashboards.sections import Section, dashboard_section_register

dashboard_section_register(
    role="reader",
    order=28,
    section=Section("payouts", "Payouts", panel_url_name="payouts:dashboard_panel", fallback_url_name="payouts:home"),
)
dashboard_section_register(
    role="admin",
    order=45,
    section=Section(
        "payout-queue", "Payouts", panel_url_name="staff_payouts:queue_panel", fallback_url_name="staff_payouts:queue"
    ),
)

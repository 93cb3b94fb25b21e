from django.urls import path

from . import views_availability, views_booking

app_name = "scheduling"
urlpatterns = [
    path("availability/", views_availability.availability, name="availability"),
    path("availability/panel/", views_availability.availability_panel, name="availability_panel"),
    path("availability/settings/", views_availability.settings_save, name="settings_save"),
    path("availability/windows/", views_availability.window_add, name="window_add"),
    path("availability/windows/<int:window_id>/remove/", views_availability.window_remove, name="window_remove"),
    path("availability/dates/", views_availability.exception_add, name="exception_add"),
    path("availability/dates/<int:exception_id>/remove/", views_availability.exception_remove, name="exception_remove"),
    path("availability/blocks/", views_availability.block_add, name="block_add"),
    path("availability/blocks/<int:block_id>/remove/", views_availability.block_remove, name="block_remove"),
    path("reader/<int:reader_user_id>/", views_booking.book, name="book"),
    path("reader/<int:reader_user_id>/slots/", views_booking.book_slots, name="book_slots"),
    path("reader/<int:reader_user_id>/panel/", views_booking.profile_panel, name="profile_panel"),
    path("reader/<int:reader_user_id>/confirm/", views_booking.confirm, name="confirm"),
    path("<int:booking_id>/booked/", views_booking.booked, name="booked"),
]

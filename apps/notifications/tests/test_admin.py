import pytest
from django.contrib.admin.sites import site

from apps.notifications.models import Notification


@pytest.mark.django_db
def test_notification_admin_is_read_only_for_admins(rf, admin_user):
    # given
    model_admin = site._registry[Notification]
    request = rf.get("/admin/notifications/notification/")
    request.user = admin_user
    # then: admins can look, never add, change or delete
    assert model_admin.has_view_permission(request)
    assert not model_admin.has_add_permission(request)
    assert not model_admin.has_change_permission(request)
    assert not model_admin.has_delete_permission(request)

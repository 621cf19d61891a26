from django.urls import path

from audit import views as audit

app_name = "audit"

urlpatterns = [
    path("", audit.change_log, name="changes"),
    path("security/", audit.security_log, name="security"),
]

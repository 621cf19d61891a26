from django.urls import path

from accounts.views import password, people

app_name = "accounts"

urlpatterns = [
    path("password/", password.password_change, name="password_change"),
    path("people/", people.people_list, name="people"),
    path("people/new/", people.person_create, name="person_create"),
    path("people/<int:pk>/active/", people.person_active, name="person_active"),
    path(
        "people/<int:pk>/reset-password/",
        people.person_reset_password,
        name="person_reset_password",
    ),
]

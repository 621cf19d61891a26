from django.urls import path

from competition.views import home

urlpatterns = [
    path("", home.home, name="home"),
]

"""The bench's URLconf: the application's URLs plus the floor view, for the bench only."""

from django.urls import include, path

from bench.measure import FLOOR_URL, floor_view

urlpatterns = [path(FLOOR_URL.strip("/") + "/", floor_view), path("", include("config.urls"))]

"""The bench's URLconf: the application's URLs plus the floor view, for the bench only."""

from django.urls import path

from competition.bench.measure import FLOOR_URL, floor_view
from config.urls import urlpatterns as app_urlpatterns

urlpatterns = [path(FLOOR_URL.strip("/") + "/", floor_view), *app_urlpatterns]

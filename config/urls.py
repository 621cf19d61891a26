from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.i18n import set_language

from accounts.forms import LoginForm
from config.health import healthz
from web.access import public

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path(
        "accounts/login/",
        public(auth_views.LoginView.as_view(authentication_form=LoginForm)),
        name="login",
    ),
    path("accounts/logout/", public(auth_views.LogoutView.as_view()), name="logout"),
    path("accounts/", include("accounts.urls")),
    path("audit/", include("audit.urls")),
    path("notifications/", include("notifications.urls")),
    # django.conf.urls.i18n's one URL, spelled out to mark it public.
    path("i18n/setlang/", public(set_language), name="set_language"),
    path("admin/", admin.site.urls),
    path("projects/", include("projects.urls")),
    path("", include("competition.urls")),
]

admin.site.site_header = "招商引资百日竞赛 管理后台"
admin.site.site_title = "百日竞赛"
admin.site.index_title = "数据管理"

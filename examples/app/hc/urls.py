from django.urls import path

from api import views

urlpatterns = [
    path("about/", views.about),
    path("ping/<uuid:code>/", views.ping),
    path("slow/", views.slow),
]

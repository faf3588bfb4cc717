from django.urls import path

from . import views

app_name = "agreements"

urlpatterns = [
    path("", views.HomeView.as_view(), name="home"),
    path("meetings/<slug:slug>/", views.MeetingDetailView.as_view(), name="meeting-detail"),
    path("commitments/<int:pk>/", views.CommitmentDetailView.as_view(), name="commitment-detail"),
    path("countries/<str:code>/", views.CountryDetailView.as_view(), name="country-detail"),
    path("leaders/<slug:slug>/", views.LeaderDetailView.as_view(), name="leader-detail"),
    path("topics/<slug:slug>/", views.TopicDetailView.as_view(), name="topic-detail"),
]

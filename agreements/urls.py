from django.urls import path, re_path

from . import feeds, views

app_name = "agreements"

PAIR = r"(?P<a>[a-z]{2})-(?P<b>[a-z]{2})"

urlpatterns = [
    path("", views.HomeView.as_view(), name="home"),
    path("about/", views.AboutView.as_view(), name="about"),
    path("search/", views.SearchView.as_view(), name="search"),
    path("meetings/", views.MeetingListView.as_view(), name="meeting-list"),
    path("meetings/<slug:slug>/", views.MeetingDetailView.as_view(), name="meeting-detail"),
    path("commitments/", views.CommitmentListView.as_view(), name="commitment-list"),
    path("commitments/<int:pk>/", views.CommitmentDetailView.as_view(), name="commitment-detail"),
    path("agreements/", views.AgreementListView.as_view(), name="agreement-list"),
    path("agreements/<slug:slug>/", views.AgreementDetailView.as_view(), name="agreement-detail"),
    path("countries/", views.CountryListView.as_view(), name="country-list"),
    path("countries/<str:code>/", views.CountryDetailView.as_view(), name="country-detail"),
    path(
        "countries/<str:code>/follow-through/",
        views.CountryScorecardView.as_view(),
        name="country-scorecard",
    ),
    path("leaders/", views.LeaderListView.as_view(), name="leader-list"),
    path("leaders/<slug:slug>/", views.LeaderDetailView.as_view(), name="leader-detail"),
    path("topics/", views.TopicListView.as_view(), name="topic-list"),
    path("topics/<slug:slug>/", views.TopicDetailView.as_view(), name="topic-detail"),
    path("topics/<slug:slug>/follow-through/", views.TopicScorecardView.as_view(), name="topic-scorecard"),
    path("relations/", views.RelationListView.as_view(), name="relation-list"),
    re_path(rf"^relations/{PAIR}/$", views.RelationDetailView.as_view(), name="relation-detail"),
    re_path(rf"^relations/{PAIR}/feed/$", feeds.RelationFeed(), name="relation-feed"),
    re_path(
        rf"^relations/{PAIR}/follow-through/$", views.PairScorecardView.as_view(), name="relation-scorecard"
    ),
    path("corrections/", views.CorrectionLogView.as_view(), name="correction-list"),
    path("corrections/new/", views.CorrectionCreateView.as_view(), name="correction-new"),
    path("corrections/sent/", views.CorrectionSentView.as_view(), name="correction-sent"),
    path("feeds/meetings/", feeds.MeetingFeed(), name="meeting-feed"),
    path("feeds/commitments/", feeds.CommitmentFeed(), name="commitment-feed"),
    path("feeds/agreements/", feeds.AgreementFeed(), name="agreement-feed"),
]

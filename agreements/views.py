from django.shortcuts import get_object_or_404
from django.views.generic import DetailView, TemplateView

from .models import Commitment, Country, Leader, Meeting, Topic


class HomeView(TemplateView):
    template_name = "agreements/home.html"

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            latest_meetings=Meeting.objects.with_related()[:10], **kwargs
        )


class MeetingDetailView(DetailView):
    queryset = Meeting.objects.with_related()
    template_name = "agreements/meeting_detail.html"


class CommitmentDetailView(DetailView):
    queryset = Commitment.objects.with_related()
    template_name = "agreements/commitment_detail.html"


class CountryDetailView(DetailView):
    template_name = "agreements/country_detail.html"

    def get_object(self, queryset=None):
        return get_object_or_404(Country, code=self.kwargs["code"].upper())


class LeaderDetailView(DetailView):
    queryset = Leader.objects.select_related("country")
    template_name = "agreements/leader_detail.html"


class TopicDetailView(DetailView):
    model = Topic
    template_name = "agreements/topic_detail.html"

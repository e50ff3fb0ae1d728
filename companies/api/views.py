"""HTTP wiring of `/companies`."""

from companies import services
from companies.api.serializers import CompanySerializer
from companies.filters import CompanyFilterSet
from companies.models import Company
from identity.viewsets import CrudViewSet


class CompanyViewSet(CrudViewSet):
    """The caller's own company; POST provisions a new, separate company."""

    queryset = Company.objects.all()
    serializer_class = CompanySerializer
    filterset_class = CompanyFilterSet
    company_field = "id"
    lookup_url_kwarg = "company_id"
    guardian_resource = "company"

    def perform_create(self, data):
        return services.company_create(data=data)

    def perform_update(self, instance, data):
        return services.company_update(company=instance, data=data)

    def perform_destroy(self, instance):
        services.company_delete(company=instance, token=self.request.auth)

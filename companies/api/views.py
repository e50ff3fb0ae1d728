"""HTTP wiring of `/companies`."""

from companies import services
from companies.api.serializers import CompanySerializer
from companies.filters import CompanyFilterSet
from companies.models import Company
from identity.viewsets import CrudViewSet


class CompanyViewSet(CrudViewSet):
    """The caller's own company; POST provisions a new, separate company."""

    # Scoped by its own id: Company's manager is identity.tenancy.TenantQuerySet.

    queryset = Company.objects.all()
    serializer_class = CompanySerializer
    filterset_class = CompanyFilterSet
    lookup_url_kwarg = "company_id"
    guardian_resource = "company"
    list_rows = True

    def create_instance(self, data):
        return services.company_create(data=data)

    def update_instance(self, instance, data):
        return services.company_update(company=instance, data=data)

    def destroy_instance(self, instance):
        services.company_delete(company=instance, token=self.request.auth)

"""HTTP wiring of `/customers` and `/subcontractors`."""

from identity.tenancy import caller_company_id
from identity.viewsets import CrudViewSet
from partners import services
from partners.api.serializers import CustomerSerializer, SubcontractorSerializer
from partners.filters import CustomerFilterSet, SubcontractorFilterSet
from partners.models import Customer, Subcontractor


class CustomerViewSet(CrudViewSet):
    """The caller's company's customers."""

    queryset = Customer.objects.all()
    serializer_class = CustomerSerializer
    filterset_class = CustomerFilterSet
    lookup_url_kwarg = "customer_id"
    guardian_resource = "customer"
    list_rows = True

    def create_instance(self, data):
        return services.customer_create(company_id=caller_company_id(self.request), data=data)

    def update_instance(self, instance, data):
        return services.customer_update(customer=instance, data=data)

    def destroy_instance(self, instance):
        services.customer_delete(customer=instance, token=self.request.auth)


class SubcontractorViewSet(CrudViewSet):
    """The caller's company's subcontractors."""

    queryset = Subcontractor.objects.all()
    serializer_class = SubcontractorSerializer
    filterset_class = SubcontractorFilterSet
    lookup_url_kwarg = "subcontractor_id"
    guardian_resource = "subcontractor"
    list_rows = True

    def create_instance(self, data):
        return services.subcontractor_create(company_id=caller_company_id(self.request), data=data)

    def update_instance(self, instance, data):
        return services.subcontractor_update(subcontractor=instance, data=data)

    def destroy_instance(self, instance):
        services.subcontractor_delete(subcontractor=instance, token=self.request.auth)

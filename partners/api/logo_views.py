"""HTTP wiring of `/customers/{customer_id}/logo` and `/subcontractors/{subcontractor_id}/logo` (contract §8)."""

from identity.file_views import ImageViewSet, image_endpoint
from partners import services
from partners.models import Customer, Subcontractor


class CustomerLogoViewSet(ImageViewSet):
    queryset = Customer.objects.all()
    lookup_url_kwarg = "customer_id"
    file_kind = "customer_logo"
    file_field = "logo"

    def swap(self, owner, file_id):
        return services.customer_logo_set(customer=owner, file_id=file_id)

    @image_endpoint(url_path="logo", resource="customer_logo", field="logo")
    def logo(self, request, customer_id=None):
        return self.image(request)


class SubcontractorLogoViewSet(ImageViewSet):
    queryset = Subcontractor.objects.all()
    lookup_url_kwarg = "subcontractor_id"
    file_kind = "subcontractor_logo"
    file_field = "logo"

    def swap(self, owner, file_id):
        return services.subcontractor_logo_set(subcontractor=owner, file_id=file_id)

    @image_endpoint(url_path="logo", resource="subcontractor_logo", field="logo")
    def logo(self, request, subcontractor_id=None):
        return self.image(request)

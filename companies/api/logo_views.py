"""HTTP wiring of `/companies/{company_id}/logo` (contract §8)."""

from companies import services
from companies.models import Company
from identity.file_views import ImageViewSet, image_endpoint


class CompanyLogoViewSet(ImageViewSet):
    queryset = Company.objects.all()
    company_field = "id"
    lookup_url_kwarg = "company_id"
    file_kind = "company_logo"
    file_field = "logo"

    def swap(self, owner, file_id):
        return services.company_logo_set(company=owner, file_id=file_id)

    @image_endpoint(url_path="logo", resource="company_logo", field="logo")
    def logo(self, request, company_id=None):
        return self.image(request)

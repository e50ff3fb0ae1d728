"""Routes of `/companies` and `/companies/{company_id}/logo`."""

from companies.api.views import CompanyViewSet
from companies.models import Company
from identity.file_views import image_viewset
from identity.routers import Router

router = Router()
router.register("companies", CompanyViewSet, basename="company")
router.register("companies", image_viewset(Company, lookup_url_kwarg="company_id"), basename="company-logo")
urlpatterns = router.urls

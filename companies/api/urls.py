"""Routes of `/companies` and `/companies/{company_id}/logo`."""

from companies.api.views import CompanyLogoViewSet, CompanyViewSet
from identity.routers import Router

router = Router()
router.register("companies", CompanyViewSet, basename="company")
router.register("companies", CompanyLogoViewSet, basename="company-logo")
urlpatterns = router.urls

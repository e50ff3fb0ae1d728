"""Routes of `/companies/{company_id}/logo`."""

from companies.api.logo_views import CompanyLogoViewSet
from identity.routers import Router

router = Router()
router.register("companies", CompanyLogoViewSet, basename="company-logo")
urlpatterns = router.urls

"""Routes of `/customers/{customer_id}/logo` and `/subcontractors/{subcontractor_id}/logo`."""

from identity.routers import Router
from partners.api.logo_views import CustomerLogoViewSet, SubcontractorLogoViewSet

router = Router()
router.register("customers", CustomerLogoViewSet, basename="customer-logo")
router.register("subcontractors", SubcontractorLogoViewSet, basename="subcontractor-logo")
urlpatterns = router.urls

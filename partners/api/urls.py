"""Routes of `/customers` and `/subcontractors`, with their logos."""

from identity.routers import Router
from partners.api.views import CustomerLogoViewSet, CustomerViewSet, SubcontractorLogoViewSet, SubcontractorViewSet

router = Router()
router.register("customers", CustomerViewSet, basename="customer")
router.register("customers", CustomerLogoViewSet, basename="customer-logo")
router.register("subcontractors", SubcontractorViewSet, basename="subcontractor")
router.register("subcontractors", SubcontractorLogoViewSet, basename="subcontractor-logo")
urlpatterns = router.urls

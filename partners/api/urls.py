"""Routes of `/customers` and `/subcontractors`."""

from identity.routers import Router
from partners.api.views import CustomerViewSet, SubcontractorViewSet

router = Router()
router.register("customers", CustomerViewSet, basename="customer")
router.register("subcontractors", SubcontractorViewSet, basename="subcontractor")
urlpatterns = router.urls

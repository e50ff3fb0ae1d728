"""Routes of `/customers` and `/subcontractors`, with their logos."""

from identity.file_views import image_viewset
from identity.routers import Router
from partners.api.views import CustomerViewSet, SubcontractorViewSet
from partners.models import Customer, Subcontractor

router = Router()
router.register("customers", CustomerViewSet, basename="customer")
router.register("customers", image_viewset(Customer, lookup_url_kwarg="customer_id"), basename="customer-logo")
router.register("subcontractors", SubcontractorViewSet, basename="subcontractor")
router.register(
    "subcontractors", image_viewset(Subcontractor, lookup_url_kwarg="subcontractor_id"), basename="subcontractor-logo"
)
urlpatterns = router.urls

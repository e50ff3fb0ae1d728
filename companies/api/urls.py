"""Routes of `/companies`."""

from companies.api.views import CompanyViewSet
from identity.routers import Router

router = Router()
router.register("companies", CompanyViewSet, basename="company")
urlpatterns = router.urls

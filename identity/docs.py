"""The documentation UIs, with every asset served locally and no cookie set."""

from drf_spectacular.views import SpectacularRedocView, SpectacularSwaggerView


class SwaggerView(SpectacularSwaggerView):
    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        # The stock page embeds a CSRF token for Swagger's "try it out"; rendering it would set the csrftoken
        # cookie, and the API sets no cookies (its cookie-authenticated calls need no CSRF token).
        def forget_csrf_cookie(rendered):
            request.META.pop("CSRF_COOKIE_NEEDS_UPDATE", None)  # returns None: the response stays as rendered

        response.add_post_render_callback(forget_csrf_cookie)
        return response


class RedocView(SpectacularRedocView):
    template_name = "identity/redoc.html"

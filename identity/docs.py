"""The documentation UIs, with every asset served locally, nothing loaded from elsewhere, and no cookie set."""

from drf_spectacular.views import SpectacularRedocView, SpectacularSwaggerView

# The pages' own policy: the bundles still name remote assets (ReDoc's footer logo, Swagger's validator badge);
# the browser must not fetch them. Inline scripts and styles are the pages' own (their start-up code).
DOCS_CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self' 'unsafe-inline'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data: blob:",
        "font-src 'self' data:",
        "worker-src 'self' blob:",
        "connect-src 'self'",
        "frame-ancestors 'none'",
    ]
)


class LocalOnlyMixin:
    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        response["Content-Security-Policy"] = DOCS_CONTENT_SECURITY_POLICY
        return response


class SwaggerView(LocalOnlyMixin, SpectacularSwaggerView):
    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)

        # The stock page embeds a CSRF token for Swagger's "try it out"; rendering it would set the csrftoken
        # cookie, and the API sets no cookies (its cookie-authenticated calls need no CSRF token).
        def forget_csrf_cookie(rendered):
            request.META.pop("CSRF_COOKIE_NEEDS_UPDATE", None)  # returns None: the response stays as rendered

        response.add_post_render_callback(forget_csrf_cookie)
        return response


class RedocView(LocalOnlyMixin, SpectacularRedocView):
    template_name = "identity/redoc.html"

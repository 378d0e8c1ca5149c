from django.conf import settings


def release_headers(get_response):
    """Stamp every response with what is running, so clients (and deploy
    tests) can see which release answered without parsing bodies."""

    def middleware(request):
        response = get_response(request)
        response["X-Release"] = settings.RELEASE_ID
        response["X-App-Version"] = settings.APP_VERSION
        return response

    return middleware

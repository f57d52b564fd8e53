"""NUL bytes in query strings are dropped before any view reads them."""


class DropNulFromQueryString:
    """A NUL byte cannot be typed, and PostgreSQL refuses it in text: a crafted link with one in a search term or
    a filter (`?q=%00`) would otherwise reach the database and answer 500 (the admin's autocomplete, lists)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if "%00" in request.META.get("QUERY_STRING", ""):
            clean = request.GET.copy()
            for key in list(clean):
                clean.setlist(key, [value.replace("\x00", "") for value in clean.getlist(key)])
            clean._mutable = False
            request.GET = clean
        return self.get_response(request)

"""What the API's action views share."""


def validated(serializer_class, request, **kwargs):
    """The request body as ``serializer_class`` reads it; field errors answer 400 (before the
    service is called, so a refused body changes nothing)."""
    serializer = serializer_class(data=request.data, **kwargs)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data

from django.utils.functional import SimpleLazyObject

from notifications.services import unread_count


def unread(request):
    """The signed-in user's unread count for the header (templates/base.html).

    Lazy: the COUNT runs only when a template shows it (once per page, whatever the
    number of templates rendered), never for anonymous pages or JSON answers.
    """
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"unread_notifications": SimpleLazyObject(lambda: unread_count(user))}

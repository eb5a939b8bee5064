from django.db import DatabaseError, connection, transaction
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from apps.core.health import task_queue_state


@never_cache
@require_GET
@transaction.non_atomic_requests
def health(request):
    """For the load balancer and monitoring: 200 when the database answers and the task queue
    moves; 503 when the database does not answer, or the oldest waiting task has waited longer
    than TASKS_STUCK_AFTER (no worker is taking tasks)."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        queue = task_queue_state()
    except DatabaseError:
        return JsonResponse({"status": "unavailable", "database": "unreachable"}, status=503)
    if queue.stuck:
        return JsonResponse(
            {"status": "unavailable", "database": "ok", "tasks": queue.as_json()}, status=503
        )
    return JsonResponse({"status": "ok", "database": "ok", "tasks": queue.as_json()})

"""Imports of a register file (django-import-export) as a job.

The admin's import keeps its two steps (apps.core.admin.RegisterTableAdminMixin). The preview
(a dry run, every row shown with its errors) stays in the request: it is bounded by
IMPORT_MAX_ROWS (apps.core.resources), and the person needs its answer on the page to correct
the file. Confirming no longer writes in the request: it calls `import_job_start`, which
records a job, and a worker imports the file kept in the import's temporary storage (the
default file storage, S3 with several servers, so any worker reads it), in one transaction, all
or nothing, saving each row as the person who confirmed it. The task is here, beside the
function that starts it; tasks.py holds the wrapper every job task is made with.
"""

from types import SimpleNamespace
from typing import Any

from django.apps import apps as django_apps
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.module_loading import import_string
from import_export.results import RowResult
from import_export.signals import post_import

from apps.jobs.models import Job
from apps.jobs.services import JobResult, job_progress, job_start
from apps.jobs.tasks import job_task

IMPORT_JOB = "register.import"

# What a failed import lists of its problems, at most.
PROBLEMS_SHOWN = 10


def _path(cls: type) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


def import_job_start(
    *,
    model: type[models.Model],
    resource_class: type,
    format_class: type,
    file_name: str,
    original_name: str,
    encoding: str | None,
    by,
) -> Job:
    """Import a previewed file (kept in the import's temporary storage) in the background."""
    return job_start(
        task=import_register_file,
        kind=IMPORT_JOB,
        title=f"Import of {original_name} into {model._meta.verbose_name_plural}",
        by=by,
        arguments={
            "model": model._meta.label,
            "resource": _path(resource_class),
            "input_format": _path(format_class),
            "file_name": file_name,
            "original_name": original_name,
            "encoding": encoding,
        },
    )


def _problems(result) -> list[str]:
    """A failed import's problems, one line each, as its job states them."""
    lines = [str(error.error) for error in result.base_errors]
    for number, errors in result.row_errors():
        lines.extend(f"Row {number}: {error.error}" for error in errors)
    for row in result.invalid_rows:
        for field, messages_ in row.error_dict.items():
            lines.append(f"Row {row.number}, {field}: {' '.join(str(m) for m in messages_)}")
    if len(lines) > PROBLEMS_SHOWN:
        lines = [*lines[:PROBLEMS_SHOWN], f"… and {len(lines) - PROBLEMS_SHOWN} more."]
    return lines


@job_task
def import_register_file(
    job: Job,
    *,
    model: str,
    resource: str,
    input_format: str,
    file_name: str,
    original_name: str,
    encoding: str | None,
) -> JobResult:
    """Import the file, all or nothing, each row saved as the person who confirmed it."""
    model_class = django_apps.get_model(model)
    # An ImportExportMixin admin (untyped library): its storage, log and resources settings.
    model_admin: Any = admin.site.get_model_admin(model_class)
    file_format = import_string(input_format)(encoding=encoding)
    storage = model_admin.get_tmp_storage_class()(
        name=file_name,
        encoding=None if file_format.is_binary() else encoding,
        read_mode=file_format.get_read_mode(),
        **model_admin.get_tmp_storage_class_kwargs(),
    )
    job_progress(job=job, done=0, step="Reading the file")
    try:
        data = storage.read()
    except (FileNotFoundError, OSError) as error:
        raise ValidationError(
            "The uploaded file is no longer kept: import it again from the list's Import page."
        ) from error
    dataset = file_format.create_dataset(data)
    # One transaction, all or nothing: its progress shows as one step until it commits.
    job_progress(
        job=job, done=0, step=f"Importing {len(dataset)} row(s) (one transaction: all or nothing)"
    )
    result = import_string(resource)().import_data(
        dataset,
        dry_run=False,
        raise_errors=False,
        use_transactions=True,
        rollback_on_validation_errors=True,
        file_name=original_name,
        user=job.started_by,
        retain_instance_in_row_result=True,
    )
    if result.has_errors() or result.has_validation_errors():
        storage.remove()  # the same file would fail the same way: it is corrected and uploaded
        raise ValidationError(
            ["Nothing was imported: the file has problems. Correct them and import it again."]
            + _problems(result)
        )
    if job.started_by is not None and not model_admin.get_skip_admin_log():
        # The admin's log names the person who confirmed the import, as a request would.
        model_admin.generate_log_entries(result, SimpleNamespace(user=job.started_by))
    post_import.send(sender=None, model=model_class)
    storage.remove()
    totals = result.totals
    return JobResult(
        summary=(
            f"Imported {original_name}: {totals[RowResult.IMPORT_TYPE_NEW]} new, "
            f"{totals[RowResult.IMPORT_TYPE_UPDATE]} updated, "
            f"{totals[RowResult.IMPORT_TYPE_DELETE]} deleted and "
            f"{totals[RowResult.IMPORT_TYPE_SKIP]} skipped "
            f"{model_class._meta.verbose_name_plural}."
        ),
        link_name=f"admin:{model_class._meta.app_label}_{model_class._meta.model_name}_changelist",
        link_label=f"Open the {model_class._meta.verbose_name_plural}",
        data={str(kind): count for kind, count in totals.items()},
    )

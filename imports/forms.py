"""Forms of the import pages: the upload step. The mapping step's fields are one select per column
(`map-<file position>-<column>`), read by the view since their number depends on the file."""

from django import forms

from imports.models import Import
from imports.reader import MAX_LINE_BYTES
from imports.services import MAX_COLUMNS


class UploadForm(forms.Form):
    kind = forms.ChoiceField(
        label="What does the import hold?",
        choices=Import.Kind.choices,
        initial=Import.Kind.SINGLE,
        widget=forms.RadioSelect,
    )
    contacts_file = forms.FileField(
        label="File of contacts",
        help_text=f"CSV (UTF-8, with or without BOM) or XLSX; the first row names the columns (at most "
        f"{MAX_COLUMNS:,} in an import); rows up to {MAX_LINE_BYTES // 1024} KiB.",
    )
    companies_file = forms.FileField(label="File of companies", required=False, help_text="Only for two files.")

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("kind") == Import.Kind.MULTI_FILE and not cleaned.get("companies_file"):
            self.add_error("companies_file", "Choose the file of companies: this import has two files.")
        return cleaned

    def files_by_object(self) -> dict:
        files = {"contacts": self.cleaned_data["contacts_file"]}
        if self.cleaned_data["kind"] == Import.Kind.MULTI_FILE:
            files["companies"] = self.cleaned_data["companies_file"]
        return files

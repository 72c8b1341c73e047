"""The static files storage: content-hashed names, compressed copies, ES module imports rewritten.

See docs/adr/0021-static-files-with-whitenoise.md."""
from django.contrib.staticfiles.storage import HashedFilesMixin
from whitenoise.storage import CompressedManifestStaticFilesStorage

# The app's own ES modules. app.js imports "./camera.js", camera.js the vendored ponyfill: left
# alone, a hashed app.js would load UNHASHED modules, cached for only WHITENOISE_MAX_AGE and
# possibly from another release. Rewritten, every import names a hashed file, and a change in
# any module changes the hash (so the URL) of every module importing it, up to app.js.
ES_MODULES = ("scanner/*.js", "office/*.js", "common/*.js", "dashboard/*.js", "desk/*.js", "i18n/*.js",
              "backoffice/*.js", "vendor/barcode-detector/*.js")
_MODULE_IMPORTS = HashedFilesMixin._js_module_import_aggregation_patterns[1]
_CSS = next(patterns for glob, patterns in HashedFilesMixin.patterns if glob == "*.css")


class StaticFilesStorage(CompressedManifestStaticFilesStorage):
    # Each pass rewrites one more level of ES-module imports to hashed names (in the worst file
    # order); Django's default of 5 passes would fail a sixth level of imports at collectstatic.
    max_post_process_passes = 12
    # Django's own switch (support_js_module_import_aggregation) runs the import regexes over
    # every .js, including the admin's and minified vendor bundles they were not written for;
    # they run here over our modules only. The stock "*.js" sourceMappingURL rewrite is left out:
    # source maps are not shipped (static/vendor/chartjs/README.md) and a reference to a missing
    # map would fail collectstatic, while the browser only fetches maps with devtools open.
    patterns = (("*.css", _CSS), *((glob, _MODULE_IMPORTS) for glob in ES_MODULES))

    def compress_files(self, paths):
        # Only the hashed names are worth compressing: they are what pages link (plain names are
        # a fallback, served as they are). A hashed name is content-addressed, so a compressed
        # copy already on disk is already right: a collect with nothing new compresses nothing
        # (brotli at its best quality takes seconds for the 1 MB wasm alone).
        hashed = set(self.hashed_files.values())
        todo = [p for p in paths if p in hashed and not (self.exists(f"{p}.br") or self.exists(f"{p}.gz"))]
        return super().compress_files(todo)

/* Which BLAS the core loaded, its kernel core and threads (sg.show_config, python -m swiftgrad). */
#include "swiftgrad_ext.h"

static PyObject *py_blas_load(PyObject *self, PyObject *arg) {
  const char *path = arg == Py_None ? NULL : PyUnicode_AsUTF8(arg);
  if (arg != Py_None && path == NULL) return NULL;
  int status;
  Py_BEGIN_ALLOW_THREADS
  status = path ? sg_blas_load(path) : (sg_blas_ready() ? 0 : -1);
  Py_END_ALLOW_THREADS
  return PyBool_FromLong(status == 0);
}

static PyObject *py_blas_info(PyObject *self, PyObject *unused) {
  int ready = sg_blas_ready();
  const char *core = sg_blas_corename();
  return Py_BuildValue("{s:O,s:s,s:s,s:s,s:s,s:s,s:s,s:i,s:O,s:s,s:O}", "loaded", ready ? Py_True : Py_False, "error",
                       ready ? "" : sg_blas_error(), "library", sg_blas_library_path(), "config", sg_blas_config(),
                       "core", core, "preselected_core", sg_blas_preselected_core(), "cpu_best_core",
                       sg_blas_cpu_best_core(), "threads", sg_blas_get_num_threads(), "generic_core",
                       ready && sg_blas_core_is_generic(core) ? Py_True : Py_False, "bf16_gemm",
                       sg_bf16_gemm_name(ready ? sg_bf16_gemm_choice() : 0), "cpu_avx512_bf16",
                       sg_bf16_gemm_cpu_supported() ? Py_True : Py_False);
}

static PyObject *py_blas_set_num_threads(PyObject *self, PyObject *arg) {
  long n = PyLong_AsLong(arg);
  if (n == -1 && PyErr_Occurred()) return NULL;
  if (n < 1 || n > 4096)
    return PyErr_Format(PyExc_ValueError, "set_num_threads: expected 1 to 4096 threads, got %ld", n);
  sg_blas_set_num_threads((int)n);
  Py_RETURN_NONE;
}

static PyMethodDef blas_methods[] = {
    {"blas_load", py_blas_load, METH_O, "blas_load(path or None): opens that BLAS (or the default); True on success."},
    {"blas_info", py_blas_info, METH_NOARGS,
     "The loaded BLAS: library, config, core, threads, and the CPU's best core."},
    {"blas_set_num_threads", py_blas_set_num_threads, METH_O, "Sets the BLAS thread count."},
    {NULL, NULL, 0, NULL}};

int sg_register_blas(PyObject *module) { return PyModule_AddFunctions(module, blas_methods); }

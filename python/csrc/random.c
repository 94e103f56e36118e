/* The global random generator's seed and state (sampling itself is in the operation table). */
#include "swiftgrad_ext.h"

static PyObject *py_seed(PyObject *self, PyObject *arg) {
  unsigned long long seed = PyLong_AsUnsignedLongLongMask(arg);
  if (PyErr_Occurred()) return NULL;
  sg_random_seed(seed);
  Py_RETURN_NONE;
}

static PyObject *py_random_get_state(PyObject *self, PyObject *unused) {
  uint64_t words[4];
  sg_random_get_state(words);
  return Py_BuildValue("(KKKK)", (unsigned long long)words[0], (unsigned long long)words[1],
                       (unsigned long long)words[2], (unsigned long long)words[3]);
}

static PyObject *py_random_set_state(PyObject *self, PyObject *arg) {
  PyObject *seq = PySequence_Fast(arg, "random_set_state: expected a sequence of four integers");
  if (!seq) return NULL;
  if (PySequence_Fast_GET_SIZE(seq) != 4) {
    Py_DECREF(seq);
    return PyErr_Format(PyExc_ValueError, "random_set_state: expected four integers, got %zd",
                        PySequence_Fast_GET_SIZE(arg));
  }
  uint64_t words[4];
  for (int i = 0; i < 4; i++) {
    PyObject *item = PySequence_Fast_GET_ITEM(seq, i);
    if (!PyLong_Check(item)) {
      Py_DECREF(seq);
      return PyErr_Format(PyExc_TypeError, "random_set_state: word %d is %.100s, not an int", i,
                          Py_TYPE(item)->tp_name);
    }
    words[i] = PyLong_AsUnsignedLongLong(item);
    if (PyErr_Occurred()) {
      Py_DECREF(seq);
      return NULL; /* OverflowError: negative or wider than 64 bits */
    }
  }
  Py_DECREF(seq);
  int status = sg_random_set_state(words);
  if (status) return sg_raise(status);
  Py_RETURN_NONE;
}

static PyMethodDef random_methods[] = {
    {"seed", py_seed, METH_O, "seed(n): seeds the global random generator."},
    {"random_get_state", py_random_get_state, METH_NOARGS, "The generator's state: a tuple of four 64-bit ints."},
    {"random_set_state", py_random_set_state, METH_O, "Restores a state from random_get_state()."},
    {NULL}};

int sg_register_random(PyObject *module) { return PyModule_AddFunctions(module, random_methods); }

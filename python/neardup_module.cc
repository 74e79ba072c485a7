// neardup_module.cc: the extension module neardup._neardup (pybind11). python/neardup/__init__.py
// wraps it with the public functions, their docstrings and the checks of keyword names.
//
// A run's options arrive as the command's arguments ("--threshold=0.7", "--stories"), built by
// __init__.py from keywords, and are parsed by the command's own RunFlags and CLI11 code: every
// default, check and error message is the command's. In-memory records are written, in the
// order given, to a JSON Lines file in a private temporary directory (one line a record, only
// the fields a run reads), which the pipeline reads like any input: bad records, ids and UTF-8
// repairs follow the command's rules for a .jsonl file whose label is "records". The pipeline
// runs on a thread of its own with the GIL released; the calling thread checks for signals
// every 20 ms and cancels the run (RunCallbacks::cancelled) on Ctrl-C.
#include <Python.h>
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstring>
#include <filesystem>
#include <iterator>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "cli/run_command.h"
#include "cli/run_flags.h"
#include "cli/usage.h"
#include "internal/json.h"
#include "neardup/pipeline.h"
#include "neardup/sketch/minhash.h"
#include "neardup/stats.h"
#include "neardup/text/normalize.h"
#include "neardup/text/shingle.h"
#include "tbb/info.h"
#include "tbb/parallel_for.h"
#include "tbb/task_arena.h"

namespace py = pybind11;

namespace neardup::python {
namespace {

PyObject* g_bad_record = nullptr;  // neardup.BadRecord: a UserWarning and a ValueError

// The command line's parser for one command, holding what RunFlags' option pointers point into.
struct Parsed {
  CLI::App app{"neardup", "neardup"};
  CLI::App* command = nullptr;
  cli::RunFlags flags;
};

std::unique_ptr<Parsed> NewParser(const std::string& command) {
  auto p = std::make_unique<Parsed>();
  p->command = p->app.add_subcommand(command, "");
  p->flags.Add(p->command);
  cli::RefuseNegativeCounts(&p->app);
  return p;
}

[[noreturn]] void RaiseStatus(const absl::Status& s) {
  const std::string message(s.message());
  switch (s.code()) {
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kOutOfRange:
    case absl::StatusCode::kUnimplemented:
      throw py::value_error(message);
    case absl::StatusCode::kFailedPrecondition:
      if (absl::StrContains(message, "bad record")) {
        PyErr_SetString(g_bad_record, message.c_str());
        throw py::error_already_set();
      }
      throw py::value_error(message);
    case absl::StatusCode::kResourceExhausted:
      if (absl::StrContains(message, "memory")) {
        PyErr_SetString(PyExc_MemoryError, message.c_str());
        throw py::error_already_set();
      }
      PyErr_SetString(PyExc_OSError, message.c_str());
      throw py::error_already_set();
    case absl::StatusCode::kNotFound:
    case absl::StatusCode::kPermissionDenied:
    case absl::StatusCode::kAlreadyExists:
    case absl::StatusCode::kDataLoss:
    case absl::StatusCode::kUnavailable:
    case absl::StatusCode::kUnknown:
      PyErr_SetString(PyExc_OSError, message.c_str());
      throw py::error_already_set();
    case absl::StatusCode::kCancelled:
      PyErr_SetNone(PyExc_KeyboardInterrupt);
      throw py::error_already_set();
    default:
      throw std::runtime_error(message);
  }
}

// Parses `args` as `neardup COMMAND ARGS...` and checks the options as the command does before
// any work (a ValueError with the command's message).
std::unique_ptr<Parsed> Parse(const std::string& command, const std::vector<std::string>& args) {
  auto p = NewParser(command);
  std::vector<std::string> argv = {"neardup", command};
  argv.insert(argv.end(), args.begin(), args.end());
  std::vector<char*> pointers;
  for (std::string& a : argv) pointers.push_back(a.data());
  try {
    p->app.parse(static_cast<int>(pointers.size()), pointers.data());
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) throw py::value_error("help and version are not options here");
    throw py::value_error(cli::ParseErrorMessage(&p->app, e));
  }
  absl::Status s = p->flags.Finalize();
  if (!s.ok()) RaiseStatus(s);
  return p;
}

std::vector<std::string> WithInput(std::vector<std::string> args, const std::string& input) {
  args.push_back("--");  // the input is never read as an option's value
  args.push_back(input);
  return args;
}

// The command's flags: (name, is a flag, takes several values, help, default), for
// __init__.py's checks and neardup.options().
std::vector<std::tuple<std::string, bool, bool, std::string, std::string>> Flags(
    const std::string& command) {
  auto p = NewParser(command);
  std::vector<std::tuple<std::string, bool, bool, std::string, std::string>> out;
  for (const CLI::Option* o : p->command->get_options()) {
    if (o->get_lnames().empty() || o->get_lnames()[0] == "help") continue;  // inputs, --help
    out.emplace_back(o->get_lnames()[0], o->get_expected_max() == 0, o->get_expected_max() > 1,
                     o->get_description(), o->get_default_str());
  }
  return out;
}

// A new reference as an object; the Python error when it is null.
py::object Steal(PyObject* o) {
  if (o == nullptr) throw py::error_already_set();
  return py::reinterpret_steal<py::object>(o);
}

// ---- In-memory records to JSON Lines ----------------------------------------------------------

// Writes the JSON escape of ASCII character `c` (", \ or a control character) at `p`.
inline char* EscapeAscii(uint32_t c, char* p) {
  static const char kHex[] = "0123456789abcdef";
  *p++ = '\\';
  switch (c) {
    case '"': *p++ = '"'; break;
    case '\\': *p++ = '\\'; break;
    case '\n': *p++ = 'n'; break;
    case '\t': *p++ = 't'; break;
    case '\r': *p++ = 'r'; break;
    case '\b': *p++ = 'b'; break;
    case '\f': *p++ = 'f'; break;
    default:
      *p++ = 'u';
      *p++ = '0';
      *p++ = '0';
      *p++ = kHex[c >> 4];
      *p++ = kHex[c & 15];
  }
  return p;
}

// Writes `n` code units of a str as UTF-8 at `p`, which has room for 6 bytes a unit, escaped for
// a JSON string when `kJson`; returns the end. A lone surrogate (a str may hold one) is not a
// character: it is written as one invalid byte, 0xFF, which the reader replaces with U+FFFD and
// counts as a repair, as it does for invalid bytes in a file. Characters below U+10000 are
// written without a branch on their length (3 bytes stored, the pointer advanced by 1 to 3):
// Korean text mixes 1- and 3-byte characters, and the branchy form (internal::AppendUtf8 with a
// call and a size check a character) made the spool 3x slower.
template <bool kJson, typename Unit>
char* EncodeUnits(const Unit* units, size_t n, char* p) {
  for (size_t i = 0; i < n; ++i) {
    const uint32_t c = units[i];
    const bool escape = kJson && (c < 0x20 || c == '"' || c == '\\');
    if (__builtin_expect(escape || (c & 0xFFFFF800u) == 0xD800u || c >= 0x10000, 0)) {
      if (escape) {
        p = EscapeAscii(c, p);
      } else if (c < 0x10000) {
        *p++ = '\xFF';  // a lone surrogate
      } else {
        *p++ = static_cast<char>(0xF0 | (c >> 18));
        *p++ = static_cast<char>(0x80 | ((c >> 12) & 0x3F));
        *p++ = static_cast<char>(0x80 | ((c >> 6) & 0x3F));
        *p++ = static_cast<char>(0x80 | (c & 0x3F));
      }
      continue;
    }
    const bool two = c >= 0x80, three = c >= 0x800;
    p[0] = static_cast<char>(three ? 0xE0 | (c >> 12) : two ? 0xC0 | (c >> 6) : c);
    p[1] = static_cast<char>(three ? 0x80 | ((c >> 6) & 0x3F) : 0x80 | (c & 0x3F));
    p[2] = static_cast<char>(0x80 | (c & 0x3F));
    p += 1 + two + three;
  }
  return p;
}

template <typename Unit>
char* EncodeUnits(const Unit* units, size_t n, bool json, char* p) {
  return json ? EncodeUnits<true>(units, n, p) : EncodeUnits<false>(units, n, p);
}

// The most bytes EncodeStr writes for `s`.
inline size_t EncodedBound(PyObject* s) { return static_cast<size_t>(PyUnicode_GET_LENGTH(s)) * 6 + 2; }

// Writes str `s` at `p` (room for EncodedBound(s)) as UTF-8: quoted and escaped as a JSON string
// when `json`, else as is. Returns the end.
char* EncodeStr(PyObject* s, bool json, char* p) {
  const size_t n = static_cast<size_t>(PyUnicode_GET_LENGTH(s));
  const void* data = PyUnicode_DATA(s);
  if (json) *p++ = '"';
  if (PyUnicode_IS_ASCII(s)) {
    // Runs without a character to escape are copied whole.
    const char* text = static_cast<const char*>(data);
    size_t run = 0;
    for (size_t i = 0; json && i < n; ++i) {
      const unsigned char c = static_cast<unsigned char>(text[i]);
      if (c >= 0x20 && c != '"' && c != '\\') continue;
      std::memcpy(p, text + run, i - run);
      p = EscapeAscii(c, p + (i - run));
      run = i + 1;
    }
    std::memcpy(p, text + run, n - run);
    p += n - run;
  } else {
    switch (PyUnicode_KIND(s)) {
      case PyUnicode_1BYTE_KIND:
        p = EncodeUnits(static_cast<const Py_UCS1*>(data), n, json, p);
        break;
      case PyUnicode_2BYTE_KIND:
        p = EncodeUnits(static_cast<const Py_UCS2*>(data), n, json, p);
        break;
      default:
        p = EncodeUnits(static_cast<const Py_UCS4*>(data), n, json, p);
    }
  }
  if (json) *p++ = '"';
  return p;
}

// Appends str `s` to `out` as EncodeStr writes it.
void AppendStr(std::string* out, PyObject* s, bool json) {
  const size_t old = out->size();
  out->resize(old + EncodedBound(s));
  char* end = EncodeStr(s, json, out->data() + old);
  out->resize(static_cast<size_t>(end - out->data()));
}

// Bytes appended without the zero fill of std::string::resize: Room(n) gives space for n more,
// Commit(end) keeps what was written up to `end`.
class Buffer {
 public:
  char* Room(size_t n) {
    if (size_ + n > capacity_) {
      const size_t capacity = std::max(2 * capacity_, size_ + n);
      std::unique_ptr<char[]> grown(new char[capacity]);
      if (size_ > 0) std::memcpy(grown.get(), data_.get(), size_);
      data_ = std::move(grown);
      capacity_ = capacity;
    }
    return data_.get() + size_;
  }
  void Commit(char* end) { size_ = static_cast<size_t>(end - data_.get()); }
  void Append(std::string_view bytes) {
    char* p = Room(bytes.size());
    std::memcpy(p, bytes.data(), bytes.size());
    Commit(p + bytes.size());
  }
  const char* data() const { return data_.get(); }
  size_t size() const { return size_; }
  void clear() { size_ = 0; }

 private:
  std::unique_ptr<char[]> data_;
  size_t size_ = 0;
  size_t capacity_ = 0;
};

// A private directory in $TMPDIR (else /tmp), removed with what is in it when this dies.
class TempDir {
 public:
  explicit TempDir(const std::string& parent) {
    std::string base = parent;
    if (base.empty()) {
      const char* env = std::getenv("TMPDIR");
      base = env != nullptr && *env != '\0' ? env : "/tmp";
    }
    std::string pattern = base + "/neardup-py-XXXXXX";
    if (mkdtemp(pattern.data()) == nullptr) {
      PyErr_SetFromErrnoWithFilename(PyExc_OSError, pattern.c_str());
      throw py::error_already_set();
    }
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// Writes records as JSON Lines, one line each in the order given, with the fields a run reads.
// Add() takes each record's values with the GIL held (references, no copies); every few thousand
// records the batch is encoded in parallel with the GIL released (a str is immutable, and the
// batch holds a reference to each) and written in order. Encoding is most of the spool's cost
// (200 MB for 100k synth documents); two threads halve it.
class Spool {
 public:
  Spool(const std::string& path, const FieldNames& fields, int threads)
      : path_(path),
        arena_(threads > 0 ? std::min(threads, tbb::info::default_concurrency())
                           : tbb::task_arena::automatic) {
    fd_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd_ < 0) {
      PyErr_SetFromErrnoWithFilename(PyExc_OSError, path.c_str());
      throw py::error_already_set();
    }
    // Each distinct field name once, in the order id, title, text, --keep field, --date-field.
    for (const std::string* name : {&fields.id, &fields.title, &fields.text, &fields.keep,
                                    &fields.date}) {
      if (name->empty()) continue;
      bool seen = false;
      for (const Field& f : fields_) seen = seen || f.name == *name;
      if (seen) continue;
      fields_.push_back(MakeField(*name));
    }
    tuple_fields_ = {MakeField(fields.id), MakeField(fields.title), MakeField(fields.text)};
  }
  ~Spool() {
    if (fd_ >= 0) ::close(fd_);
  }

  // Adds the `index`-th record (0-based): a dict (any mapping) or an (id, title, text) tuple.
  void Add(PyObject* item, uint64_t index) {
    if (PyTuple_Check(item)) {
      if (PyTuple_GET_SIZE(item) != 3) {
        throw py::type_error(absl::StrCat("record ", index + 1, " is a tuple of ",
                                          PyTuple_GET_SIZE(item),
                                          " items; a tuple record is (id, title, text)"));
      }
      for (int k = 0; k < 3; ++k) {
        PyObject* v = PyTuple_GET_ITEM(item, k);
        if (v != Py_None) AddValue(tuple_fields_[k], v, index);
      }
    } else if (PyDict_Check(item)) {
      for (const Field& f : fields_) {
        PyObject* v = PyDict_GetItemWithError(item, f.key.ptr());  // borrowed
        if (v == nullptr) {
          if (PyErr_Occurred()) throw py::error_already_set();
          continue;
        }
        // Held until the batch is written: a generator may change the dict it yielded (reuse
        // it for the next record), which would free a value that is only borrowed.
        owned_.push_back(py::reinterpret_borrow<py::object>(v));
        AddValue(f, v, index);
      }
    } else if (IsMapping(item)) {
      for (const Field& f : fields_) {
        PyObject* v = PyObject_GetItem(item, f.key.ptr());  // new reference
        if (v == nullptr) {
          if (!PyErr_ExceptionMatches(PyExc_KeyError)) throw py::error_already_set();
          PyErr_Clear();
          continue;
        }
        owned_.push_back(py::reinterpret_steal<py::object>(v));
        AddValue(f, v, index);
      }
    } else {
      throw py::type_error(absl::StrCat("record ", index + 1, " is ", Py_TYPE(item)->tp_name,
                                        "; a record is a dict or an (id, title, text) tuple"));
    }
    owned_.push_back(py::reinterpret_borrow<py::object>(item));
    record_ends_.push_back(static_cast<uint32_t>(values_.size()));
    if (record_ends_.size() >= 4096 || pending_units_ >= (8u << 20)) WriteBatch();
  }

  // Writes what is pending and closes the file.
  void Close() {
    WriteBatch();
    if (::close(fd_) != 0) {
      fd_ = -1;
      PyErr_SetFromErrnoWithFilename(PyExc_OSError, path_.c_str());
      throw py::error_already_set();
    }
    fd_ = -1;
  }

 private:
  struct Field {
    std::string name;
    std::string quoted;  // "name":
    py::object key;
  };
  // A value as written: a str (JSON-escaped when `json`, else a number's text as is), or a
  // literal such as null.
  struct Value {
    const Field* field;
    PyObject* str;
    const char* literal;
    bool json;
  };

  // A collections.abc.Mapping other than a dict (a dict is taken by the fast path).
  static bool IsMapping(PyObject* item) {
    static PyObject* mapping =
        py::object(py::module_::import("collections.abc").attr("Mapping")).release().ptr();
    const int is = PyObject_IsInstance(item, mapping);
    if (is < 0) throw py::error_already_set();
    return is == 1;
  }

  static Field MakeField(const std::string& name) {
    Field f;
    f.name = name;
    internal::AppendJsonString(&f.quoted, name);
    f.quoted.push_back(':');
    f.key = py::reinterpret_steal<py::object>(
        PyUnicode_DecodeUTF8(name.data(), static_cast<Py_ssize_t>(name.size()), "replace"));
    return f;
  }

  // Takes "name":value. The value is written as JSON of its own type, so that the reader
  // accepts or refuses it as it would in a file: a str, an int or float (an id may be a
  // number), None (missing), True/False, a list or tuple as [], a dict as {} (their contents do
  // not matter: the reader refuses them for id, title and text and ignores them elsewhere).
  void AddValue(const Field& field, PyObject* v, uint64_t index) {
    if (PyUnicode_Check(v)) {
      values_.push_back({&field, v, nullptr, true});
      pending_units_ += static_cast<size_t>(PyUnicode_GET_LENGTH(v));
    } else if (v == Py_None) {
      values_.push_back({&field, nullptr, "null", false});
    } else if (PyBool_Check(v)) {
      values_.push_back({&field, nullptr, v == Py_True ? "true" : "false", false});
    } else if (PyLong_Check(v) || PyFloat_Check(v) || PyIndex_Check(v)) {
      // A number's text as Python writes it: repr() for a float, str() of the int otherwise
      // (NumPy integers too).
      py::object text;
      if (PyFloat_Check(v)) {
        text = Steal(PyObject_Repr(v));
      } else {
        text = Steal(PyObject_Str(Steal(PyNumber_Index(v)).ptr()));
      }
      values_.push_back({&field, text.ptr(), nullptr, false});
      owned_.push_back(std::move(text));
    } else if (PyList_Check(v) || PyTuple_Check(v)) {
      values_.push_back({&field, nullptr, "[]", false});
    } else if (PyDict_Check(v)) {
      values_.push_back({&field, nullptr, "{}", false});
    } else {
      throw py::type_error(absl::StrCat("record ", index + 1, ": field \"", field.name,
                                        "\" is ", Py_TYPE(v)->tp_name,
                                        "; give a str (or a number for the id)"));
    }
  }

  // Encodes records [begin, end) of the batch into `out`.
  void Encode(size_t begin, size_t end, Buffer* out) const {
    for (size_t r = begin; r < end; ++r) {
      out->Append("{");
      for (size_t i = r == 0 ? 0 : record_ends_[r - 1]; i < record_ends_[r]; ++i) {
        const Value& v = values_[i];
        if (i > (r == 0 ? 0 : record_ends_[r - 1])) out->Append(",");
        out->Append(v.field->quoted);
        if (v.literal != nullptr) {
          out->Append(v.literal);
        } else {
          out->Commit(EncodeStr(v.str, v.json, out->Room(EncodedBound(v.str))));
        }
      }
      out->Append("}\n");
    }
  }

  void WriteBatch() {
    const size_t n = record_ends_.size();
    if (n == 0) return;
    int error = 0;
    {
      py::gil_scoped_release release;
      const size_t chunks = std::min<size_t>(n, 16);
      if (chunks_.size() < chunks) chunks_.resize(chunks);
      arena_.execute([&] {
        tbb::parallel_for(size_t{0}, chunks, [&](size_t c) {
          chunks_[c].clear();
          Encode(n * c / chunks, n * (c + 1) / chunks, &chunks_[c]);
        });
      });
      for (size_t c = 0; c < chunks && error == 0; ++c) {
        size_t done = 0;
        while (done < chunks_[c].size()) {
          const ssize_t w = ::write(fd_, chunks_[c].data() + done, chunks_[c].size() - done);
          if (w < 0 && errno == EINTR) continue;
          if (w < 0) {
            error = errno;
            break;
          }
          done += static_cast<size_t>(w);
        }
      }
    }
    values_.clear();
    record_ends_.clear();
    owned_.clear();
    pending_units_ = 0;
    if (error != 0) {
      errno = error;
      PyErr_SetFromErrnoWithFilename(PyExc_OSError, path_.c_str());
      throw py::error_already_set();
    }
  }

  std::string path_;
  int fd_ = -1;
  tbb::task_arena arena_;
  std::vector<Field> fields_;
  std::vector<Field> tuple_fields_;
  // The batch: values in record order, each record's end in values_, the references that keep
  // them alive, and the code units of its strs.
  std::vector<Value> values_;
  std::vector<uint32_t> record_ends_;
  std::vector<py::object> owned_;
  size_t pending_units_ = 0;
  std::vector<Buffer> chunks_;
};

// ---- Running ----------------------------------------------------------------------------------

struct Messages {
  uint64_t bad = 0;
  std::vector<std::string> bad_messages;  // the first kMaxWarnings
  std::vector<std::string> other;         // duplicate ids, the first kMaxWarnings
  std::string first_bad;
};
constexpr size_t kMaxWarnings = 20;

// Runs the pipeline on a thread of its own with the GIL released; Ctrl-C (any signal whose
// Python handler raises) cancels it and re-raises here once the run has stopped.
absl::StatusOr<RunResult> RunReleased(const PipelineOptions& options, Messages* messages) {
  std::atomic<bool> cancel{false};
  RunCallbacks callbacks;
  callbacks.cancelled = [&cancel] { return cancel.load(std::memory_order_relaxed); };
  callbacks.on_bad_record = [messages](const BadRecord& bad) {
    if (messages->first_bad.empty()) messages->first_bad = bad.message;
    if (messages->bad_messages.size() < kMaxWarnings) {
      messages->bad_messages.push_back(bad.message);
    }
    ++messages->bad;
  };
  callbacks.on_duplicate_id = [messages](const std::string& file, uint64_t line,
                                         const std::string& id, const std::string& renamed) {
    if (messages->other.size() >= kMaxWarnings) return;
    messages->other.push_back(absl::StrCat(file, ":", line, ": id \"", id,
                                           "\" repeats an earlier record's; this one is \"",
                                           renamed, "\" in the outputs"));
  };
  absl::StatusOr<RunResult> result = absl::UnknownError("the run did not finish");
  bool interrupted = false;
  {
    py::gil_scoped_release release;
    std::mutex mutex;
    std::condition_variable finished;
    bool done = false;
    std::thread worker([&] {
      absl::StatusOr<RunResult> r;
      try {
        r = RunPipeline(options, callbacks);
      } catch (const std::bad_alloc&) {
        r = absl::ResourceExhaustedError(
            "out of memory; --memory-limit bounds the band keys and the exact checks' sets, and "
            "a higher threshold makes fewer candidate pairs");
      }
      std::lock_guard<std::mutex> lock(mutex);
      result = std::move(r);
      done = true;
      finished.notify_one();
    });
    std::unique_lock<std::mutex> lock(mutex);
    while (!done) {
      finished.wait_for(lock, std::chrono::milliseconds(20));
      if (done || interrupted) continue;
      lock.unlock();
      {
        py::gil_scoped_acquire gil;
        if (PyErr_CheckSignals() != 0) {  // the exception stays set for the raise below
          interrupted = true;
          cancel = true;
        }
      }
      lock.lock();
    }
    lock.unlock();
    worker.join();
  }
  if (interrupted) throw py::error_already_set();
  return result;
}

void Warn(PyObject* category, const std::string& message) {
  if (PyErr_WarnEx(category, message.c_str(), 2) != 0) throw py::error_already_set();
}

// The checks and warnings the command makes after a run (cli/run_command.cc RunAndWrite).
void CheckRun(const Parsed& p, const RunResult& result, const Messages& messages) {
  const PipelineOptions& options = p.flags.options;
  size_t shown = 0;
  for (const std::string& m : messages.bad_messages) {
    if (shown++ < kMaxWarnings) Warn(g_bad_record, "skipped record: " + m);
  }
  for (const std::string& m : messages.other) {
    if (shown++ < kMaxWarnings) Warn(PyExc_UserWarning, m);
  }
  if (result.num_documents() == 0 && result.counts.records_bad > 0) {
    throw py::value_error(absl::StrCat(
        "every record read was bad (", result.counts.records_bad,
        "), so nothing was clustered: is the format right (",
        std::string(FormatName(options.FormatOf(0))), " for the first input)? The first: ",
        messages.first_bad));
  }
  absl::Status fields = p.flags.CheckFieldsSeen(result);
  if (!fields.ok()) RaiseStatus(fields);
  for (const std::string& w : p.flags.FieldsPartlySeen(result)) {
    if (shown++ < kMaxWarnings) Warn(PyExc_UserWarning, w);
  }
  if (shown > kMaxWarnings) {
    Warn(PyExc_UserWarning, "more warnings; the counts are in the stats");
  }
}

// A number as the cluster file writes it (at most 6 decimals) and json.loads reads it back:
// x * 1e6 of a float is exact in a double, so rounding it is the rounding printf's "%.6f" does,
// and the division gives the double nearest the printed decimal, as strtod would.
inline double AsWritten(float x) {
  if (!std::isfinite(x)) return x;
  return std::nearbyint(static_cast<double>(x) * 1e6) / 1e6;
}

py::object Key(const char* name) {
  return py::reinterpret_steal<py::object>(PyUnicode_InternFromString(name));
}


// The cluster file's lines as dicts (io/writer.cc WriteClusters), in input order.
py::list ClusterRows(const RunResult& result) {
  const size_t n = result.num_documents();
  std::vector<uint32_t> size(n, 0);
  std::vector<float> lowest(n, 1.0f);
  for (size_t d = 0; d < n; ++d) {
    const uint32_t rep = result.representative[d];
    ++size[rep];
    lowest[rep] = std::min(lowest[rep], result.similarity[d]);
  }
  const py::object k_id = Key("id"), k_cluster = Key("cluster"),
                   k_representative = Key("representative"), k_similarity = Key("similarity"),
                   k_size = Key("cluster_size"), k_min = Key("cluster_min_similarity"),
                   k_story = Key("story");
  std::vector<py::object> ids(n);
  for (size_t d = 0; d < n; ++d) {
    const std::string_view id = result.id(d);
    ids[d] = Steal(PyUnicode_DecodeUTF8(id.data(), static_cast<Py_ssize_t>(id.size()), "replace"));
  }
  // A cluster's size and lowest similarity are one object each, shared by its rows, and 1.0
  // (most similarities) is one object: a third of the rows' cost at 100k documents.
  std::vector<py::object> sizes(n), lowests(n);
  const py::object one = Steal(PyFloat_FromDouble(1.0));
  py::list rows(n);
  for (size_t d = 0; d < n; ++d) {
    const uint32_t rep = result.representative[d];
    // Sized for its 6 or 7 keys: PyDict_New's table holds 5 and would be grown for the 6th.
    py::object row = Steal(_PyDict_NewPresized(7));
    PyObject* r = row.ptr();
    const double s = AsWritten(result.similarity[d]);
    py::object similarity = s == 1.0 ? one : Steal(PyFloat_FromDouble(s));
    if (!sizes[rep]) {
      sizes[rep] = Steal(PyLong_FromUnsignedLong(size[rep]));
      const double low = AsWritten(lowest[rep]);
      lowests[rep] = low == 1.0 ? one : Steal(PyFloat_FromDouble(low));
    }
    const py::object& cluster_size = sizes[rep];
    const py::object& cluster_min = lowests[rep];
    if (PyDict_SetItem(r, k_id.ptr(), ids[d].ptr()) != 0 ||
        PyDict_SetItem(r, k_cluster.ptr(), ids[rep].ptr()) != 0 ||
        PyDict_SetItem(r, k_representative.ptr(), rep == d ? Py_True : Py_False) != 0 ||
        PyDict_SetItem(r, k_similarity.ptr(), similarity.ptr()) != 0 ||
        PyDict_SetItem(r, k_size.ptr(), cluster_size.ptr()) != 0 ||
        PyDict_SetItem(r, k_min.ptr(), cluster_min.ptr()) != 0 ||
        (!result.story.empty() &&
         PyDict_SetItem(r, k_story.ptr(), ids[result.story[d]].ptr()) != 0)) {
      throw py::error_already_set();
    }
    PyList_SET_ITEM(rows.ptr(), static_cast<Py_ssize_t>(d), row.release().ptr());
  }
  return rows;
}

// dedup --dropped-map's lines as dicts: {"id", "representative", "similarity"} per dropped record.
py::list DroppedRows(const RunResult& result) {
  py::list rows;
  for (size_t d = 0; d < result.num_documents(); ++d) {
    const uint32_t rep = result.representative[d];
    if (rep == d) continue;
    py::dict row;
    row["id"] = py::str(std::string(result.id(d)));
    row["representative"] = py::str(std::string(result.id(rep)));
    row["similarity"] = AsWritten(result.similarity[d]);
    rows.append(row);
  }
  return rows;
}

// The edges file's lines as dicts (io/writer.cc WriteEdges): a, b, similarity,
// title_similarity and body_similarity (None where a document lacks the field), rule, measured,
// same_cluster.
py::list EdgeRows(const RunResult& result) {
  std::vector<py::object> ids(result.num_documents());
  auto id = [&](uint32_t d) -> const py::object& {
    if (!ids[d]) {
      const std::string_view s = result.id(d);
      ids[d] = Steal(PyUnicode_DecodeUTF8(s.data(), static_cast<Py_ssize_t>(s.size()), "replace"));
    }
    return ids[d];
  };
  auto number = [](float x) -> py::object {
    return std::isfinite(x) ? py::object(py::float_(AsWritten(x))) : py::object(py::none());
  };
  py::list rows;
  for (const DocumentEdge& e : result.edges) {
    py::dict row;
    row["a"] = id(e.a);
    row["b"] = id(e.b);
    row["similarity"] = number(e.similarity);
    row["title_similarity"] = number(e.title_similarity);
    row["body_similarity"] = number(e.body_similarity);
    row["rule"] = py::str(std::string(EdgeRuleName(e.reason)));
    row["measured"] = py::str(e.exact ? "exact" : "estimate");
    row["same_cluster"] = py::bool_(e.same_cluster != 0);
    rows.append(row);
  }
  return rows;
}

py::object StatsDict(const Parsed& p, const RunResult& result, const std::string& command,
                     double write_seconds, double total_seconds) {
  StatsExtras extras;
  extras.command = command;
  extras.write_seconds = write_seconds;
  extras.total_seconds = total_seconds;
  const PipelineOptions& o = p.flags.options;
  extras.threads = o.threads > 0 ? o.threads : tbb::info::default_concurrency();
  return py::module_::import("json").attr("loads")(StatsJson(o, result, extras));
}

double SecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// cluster or dedup over in-memory records. `args`: the command's options; `edges`: keep the
// judged pairs (the edges file's lines). Returns (rows, edges or None, stats) for cluster and
// (kept records, dropped map, rows or None, stats) for dedup.
py::tuple RunRecords(const std::string& command, py::iterable records,
                     std::vector<std::string> args, bool edges) {
  const auto start = std::chrono::steady_clock::now();
  const bool dedup = command == "dedup";
  // The options are checked before the first record is taken (the command's input check needs
  // a file: /dev/null stands for the records until they are written).
  FieldNames fields;
  int threads = 0;
  std::unique_ptr<TempDir> dir;
  {
    auto probe = Parse(command, WithInput(args, "/dev/null"));
    fields = probe->flags.options.fields;
    threads = probe->flags.options.threads;
    dir = std::make_unique<TempDir>(probe->flags.options.temp_dir);  // --temp-dir holds it too
  }
  const std::string path = dir->path() + "/records.jsonl";
  std::unique_ptr<Parsed> p;
  std::vector<py::object> kept_items;  // dedup: every record, to hand back the kept ones
  {
    Spool spool(path, fields, threads);
    uint64_t index = 0;
    py::iterator it = py::iter(records);
    while (true) {
      PyObject* item = PyIter_Next(it.ptr());
      if (item == nullptr) {
        if (PyErr_Occurred()) throw py::error_already_set();
        break;
      }
      py::object owned = py::reinterpret_steal<py::object>(item);
      spool.Add(item, index);
      if (dedup) kept_items.push_back(std::move(owned));
      if (++index % 4096 == 0 && PyErr_CheckSignals() != 0) throw py::error_already_set();
    }
    spool.Close();
  }
  p = Parse(command, WithInput(args, path));
  p->flags.options.input_labels = {"records"};
  p->flags.options.keep_edges = edges;
  Messages messages;
  auto result = RunReleased(p->flags.options, &messages);
  if (!result.ok()) RaiseStatus(result.status());
  CheckRun(*p, *result, messages);
  const auto write_start = std::chrono::steady_clock::now();
  if (!dedup) {
    py::list rows = ClusterRows(*result);
    py::object edge_rows = edges ? py::object(EdgeRows(*result)) : py::none();
    py::object stats = StatsDict(*p, *result, command, SecondsSince(write_start),
                                 SecondsSince(start));
    return py::make_tuple(rows, edge_rows, stats);
  }
  // Document d is the record of ordinal d plus the bad records before it.
  py::list kept;
  const std::vector<uint64_t>& bad = result->bad_record_ordinals;
  size_t b = 0;
  uint64_t ordinal = 0;
  for (size_t d = 0; d < result->num_documents(); ++d, ++ordinal) {
    while (b < bad.size() && bad[b] == ordinal) {
      ++b;
      ++ordinal;
    }
    if (result->representative[d] == d) kept.append(kept_items[ordinal]);
  }
  kept_items.clear();
  py::list dropped = DroppedRows(*result);
  py::object rows = p->flags.options.stories ? py::object(ClusterRows(*result)) : py::none();
  py::object stats =
      StatsDict(*p, *result, command, SecondsSince(write_start), SecondsSince(start));
  return py::make_tuple(kept, dropped, rows, stats);
}

// cluster over files (args end with the paths). Returns (rows, edges or None, stats).
py::tuple RunFiles(std::vector<std::string> args, bool edges) {
  const auto start = std::chrono::steady_clock::now();
  auto p = Parse("cluster", args);
  std::vector<std::unique_ptr<TemporaryFile>> spooled;  // pipes and standard input
  p->flags.options.keep_edges = edges;
  absl::Status s = cli::SpoolOnceReadInputs(&p->flags.options, false, &spooled);
  if (!s.ok()) RaiseStatus(s);
  Messages messages;
  auto result = RunReleased(p->flags.options, &messages);
  if (!result.ok()) RaiseStatus(result.status());
  CheckRun(*p, *result, messages);
  const auto write_start = std::chrono::steady_clock::now();
  py::list rows = ClusterRows(*result);
  py::object edge_rows = edges ? py::object(EdgeRows(*result)) : py::none();
  py::object stats =
      StatsDict(*p, *result, "cluster", SecondsSince(write_start), SecondsSince(start));
  return py::make_tuple(rows, edge_rows, stats);
}

// ---- Sketches ---------------------------------------------------------------------------------

// The options of a run without inputs (the command's parser needs one: /dev/null).
std::unique_ptr<Parsed> ParseNoInput(const std::vector<std::string>& args) {
  return Parse("cluster", WithInput(args, "/dev/null"));
}

// MinHash signatures of texts as a run signs a field: normalized, shingled and signed with the
// field's scheme (stop-shingles aside: they depend on a corpus).
py::array_t<uint32_t> Signatures(py::iterable texts, bool title, std::vector<std::string> args) {
  auto p = ParseNoInput(std::move(args));
  const PipelineOptions& o = p->flags.options;
  auto rules = o.BuildNewsRules();
  if (!rules.ok()) RaiseStatus(rules.status());
  const Normalizer normalizer(o.normalize, *rules);
  const MinHasher hasher(o.num_perm, o.minhash_seed,
                         title ? o.title_minhash_scheme : o.minhash_scheme);
  const ShingleSpec& spec = title ? o.title_shingle : o.shingle;
  const TextField field = title ? TextField::kTitle : TextField::kBody;
  const size_t perm = static_cast<size_t>(o.num_perm);
  std::vector<uint32_t> out;
  std::string arena;
  std::vector<size_t> ends;
  tbb::task_arena workers(o.threads > 0 ? std::min(o.threads, tbb::info::default_concurrency())
                                       : tbb::task_arena::automatic);
  auto sign_batch = [&] {
    const size_t first = out.size() / perm;
    out.resize(out.size() + ends.size() * perm);
    py::gil_scoped_release release;
    workers.execute([&] {
      tbb::parallel_for(tbb::blocked_range<size_t>(0, ends.size(), 64),
                        [&](const tbb::blocked_range<size_t>& range) {
                          std::string normalized;
                          std::vector<uint64_t> shingles;
                          for (size_t i = range.begin(); i < range.end(); ++i) {
                            const size_t begin = i == 0 ? 0 : ends[i - 1];
                            normalizer.Normalize(
                                std::string_view(arena).substr(begin, ends[i] - begin), field,
                                &normalized);
                            Shingle(normalized, spec, o.shingle_seed, &shingles);
                            hasher.Sign(shingles,
                                        absl::MakeSpan(out.data() + (first + i) * perm, perm));
                          }
                        });
    });
  };
  uint64_t index = 0;
  for (py::handle text : texts) {
    if (!PyUnicode_Check(text.ptr())) {
      throw py::type_error(absl::StrCat("text ", index + 1, " is ", Py_TYPE(text.ptr())->tp_name,
                                        "; give str"));
    }
    AppendStr(&arena, text.ptr(), false);
    ends.push_back(arena.size());
    ++index;
    if (arena.size() >= (8u << 20) || ends.size() >= 8192) {
      sign_batch();
      arena.clear();
      ends.clear();
      if (PyErr_CheckSignals() != 0) throw py::error_already_set();
    }
  }
  if (!ends.empty()) sign_batch();
  py::array_t<uint32_t> array({static_cast<py::ssize_t>(out.size() / perm),
                               static_cast<py::ssize_t>(perm)});
  if (!out.empty()) std::memcpy(array.mutable_data(), out.data(), out.size() * sizeof(uint32_t));
  return array;
}

// A record's title and text for similarity(): a str is a text; a dict or tuple as for cluster.
std::pair<std::optional<std::string>, std::optional<std::string>> TitleAndText(
    py::handle record, const FieldNames& fields, const char* which) {
  auto take = [&](PyObject* v, const char* field) -> std::optional<std::string> {
    if (v == nullptr || v == Py_None) return std::nullopt;
    if (!PyUnicode_Check(v)) {
      throw py::type_error(absl::StrCat(which, ": the ", field, " is ", Py_TYPE(v)->tp_name,
                                        "; give str"));
    }
    std::string s;
    AppendStr(&s, v, false);
    return s;
  };
  PyObject* r = record.ptr();
  if (PyUnicode_Check(r)) return {std::nullopt, take(r, "text")};
  if (PyTuple_Check(r) && PyTuple_GET_SIZE(r) == 3) {
    return {take(PyTuple_GET_ITEM(r, 1), "title"), take(PyTuple_GET_ITEM(r, 2), "text")};
  }
  if (PyDict_Check(r)) {
    py::dict d = py::reinterpret_borrow<py::dict>(record);
    auto get = [&](const std::string& name) -> PyObject* {
      return d.contains(name) ? d[py::str(name)].ptr() : nullptr;
    };
    return {take(get(fields.title), "title"), take(get(fields.text), "text")};
  }
  throw py::type_error(absl::StrCat(which, " is ", Py_TYPE(r)->tp_name,
                                    "; give a str (a text), a dict or an (id, title, text) tuple"));
}

// Exact per-field similarity of two records under the options (the --similarity measure over
// every shingle of the normalized fields): {"title": x or None, "body": x or None}, None when
// either record lacks the field (no shingle after normalization).
py::dict Similarity(py::handle a, py::handle b, std::vector<std::string> args) {
  auto p = ParseNoInput(std::move(args));
  const PipelineOptions& o = p->flags.options;
  auto rules = o.BuildNewsRules();
  if (!rules.ok()) RaiseStatus(rules.status());
  const Normalizer normalizer(o.normalize, *rules);
  auto fa = TitleAndText(a, o.fields, "a");
  auto fb = TitleAndText(b, o.fields, "b");
  py::dict out;
  for (int f = 0; f < 2; ++f) {
    const auto& ta = f == 0 ? fa.first : fa.second;
    const auto& tb = f == 0 ? fb.first : fb.second;
    const char* name = f == 0 ? "title" : "body";
    const ShingleSpec& spec = f == 0 ? o.title_shingle : o.shingle;
    const TextField field = f == 0 ? TextField::kTitle : TextField::kBody;
    std::vector<uint64_t> sets[2];
    bool present = ta.has_value() && tb.has_value();
    if (present) {
      std::string normalized;
      normalizer.Normalize(*ta, field, &normalized);
      sets[0] = ShingleSet(normalized, spec, o.shingle_seed);
      normalizer.Normalize(*tb, field, &normalized);
      sets[1] = ShingleSet(normalized, spec, o.shingle_seed);
      present = !sets[0].empty() && !sets[1].empty();
    }
    if (!present) {
      out[name] = py::none();
      continue;
    }
    std::vector<uint64_t> both;
    std::set_intersection(sets[0].begin(), sets[0].end(), sets[1].begin(), sets[1].end(),
                          std::back_inserter(both));
    const double overlap = static_cast<double>(both.size());
    out[name] = o.similarity == SimilarityMeasure::kContainment
                    ? overlap / static_cast<double>(std::min(sets[0].size(), sets[1].size()))
                    : ExactJaccard(sets[0], sets[1]);
  }
  return out;
}

}  // namespace
}  // namespace neardup::python

PYBIND11_MODULE(_neardup, m) {
  using namespace neardup::python;  // NOLINT: this file's own namespace
  m.doc() = "neardup's library for Python; use the package `neardup`, which wraps this module.";
  py::tuple bases = py::make_tuple(py::handle(PyExc_UserWarning), py::handle(PyExc_ValueError));
  g_bad_record = PyErr_NewExceptionWithDoc(
      "neardup.BadRecord",
      "A record that could not be used (the message reads \"records:N: reason\", N counting "
      "from 1, or \"FILE:LINE: reason\"). Warned about (a UserWarning) when the record is "
      "skipped, raised (a ValueError) when strict=True or more than max_bad records were bad.",
      bases.ptr(), nullptr);
  if (g_bad_record == nullptr) throw py::error_already_set();
  m.attr("BadRecord") = py::handle(g_bad_record);
  m.def("_flags", &Flags, py::arg("command"));
  m.def("_run_records", &RunRecords, py::arg("command"), py::arg("records"), py::arg("args"),
        py::arg("edges") = false);
  m.def("_run_files", &RunFiles, py::arg("args"), py::arg("edges") = false);
  m.def("_signatures", &Signatures, py::arg("texts"), py::arg("title"), py::arg("args"));
  m.def("_similarity", &Similarity, py::arg("a"), py::arg("b"), py::arg("args"));
}

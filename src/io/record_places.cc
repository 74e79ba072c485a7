#include "io/record_places.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "absl/strings/str_cat.h"
#include "neardup/io/reader.h"

namespace neardup {
namespace internal {

bool RecordPlaces::StampOf(const PipelineOptions& options, size_t i, FileStamp* stamp) {
  const std::string& path = options.inputs[i];
  const Format format = options.FormatOf(i);
  struct stat st;
  if (path == "-" || (format != Format::kJsonl && format != Format::kText) ||
      ::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) {
    return false;
  }
  auto facts = ProbeInput(path);
  if (!facts.ok() || facts->compressed) return false;
  stamp->usable = true;
  stamp->size = static_cast<uint64_t>(st.st_size);
  stamp->mtime_ns = static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
  stamp->device = static_cast<uint64_t>(st.st_dev);
  stamp->inode = static_cast<uint64_t>(st.st_ino);
  return true;
}

void RecordPlaces::Stamp(const PipelineOptions& options, bool wanted) {
  stamps_.assign(options.inputs.size(), FileStamp{});
  kept_ = wanted;
  for (size_t i = 0; kept_ && i < options.inputs.size(); ++i) {
    kept_ = StampOf(options, i, &stamps_[i]);
  }
}

void RecordPlaces::Add(int file, bool known, uint64_t start, size_t length) {
  if (!kept_) return;
  if (!known || file > UINT16_MAX || length > UINT32_MAX ||
      static_cast<size_t>(file) >= stamps_.size() || !stamps_[file].usable) {
    kept_ = false;
    start_ = {};
    length_ = {};
    file_ = {};
    return;
  }
  start_.push_back(start);
  length_.push_back(static_cast<uint32_t>(length));
  file_.push_back(static_cast<uint16_t>(file));
}

bool RecordPlaces::Unchanged(const PipelineOptions& options) const {
  for (size_t i = 0; i < options.inputs.size(); ++i) {
    FileStamp now;
    if (!StampOf(options, i, &now) || !(now == stamps_[i])) return false;
  }
  return true;
}

absl::Status RecordPlaces::Read(
    const PipelineOptions& options, absl::Span<const uint32_t> slots,
    const std::function<absl::Status(uint32_t, int, std::string_view)>& take) const {
  struct Fd {
    int fd = -1;
    ~Fd() {
      if (fd >= 0) ::close(fd);
    }
  };
  std::vector<Fd> fds(options.inputs.size());
  std::string record;
  for (uint32_t slot : slots) {
    const int file = file_[slot];
    const std::string label = options.LabelOf(static_cast<size_t>(file));
    Fd& f = fds[static_cast<size_t>(file)];
    if (f.fd < 0) {
      f.fd = ::open(options.inputs[static_cast<size_t>(file)].c_str(), O_RDONLY | O_CLOEXEC);
      if (f.fd < 0) {
        return absl::InternalError(absl::StrCat(label, ": cannot open it again to verify pairs: ",
                                                std::strerror(errno)));
      }
    }
    record.resize(length_[slot]);
    size_t got = 0;
    while (got < record.size()) {
      const ssize_t n = ::pread(f.fd, record.data() + got, record.size() - got,
                                static_cast<off_t>(start_[slot] + got));
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        return absl::InternalError(absl::StrCat(
            label, ": reading it again to verify pairs: ",
            n < 0 ? std::strerror(errno) : "the file is shorter than it was"));
      }
      got += static_cast<size_t>(n);
    }
    absl::Status s = take(slot, file, record);
    if (!s.ok()) return s;
  }
  return absl::OkStatus();
}

}  // namespace internal
}  // namespace neardup

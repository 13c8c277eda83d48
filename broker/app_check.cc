#include "broker/app_check.h"

#include <elf.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "util/strings.h"
#include "util/unique_fd.h"

namespace sluice::broker {

namespace {

constexpr char kAppSymbol[] = "sluice_app_v1";
constexpr std::uint64_t kMaxTableBytes = 64u << 20;

bool ReadAt(int fd, void* out, std::uint64_t bytes, std::uint64_t offset, std::uint64_t file_size) {
  if (offset > file_size || bytes > file_size - offset) return false;
  return ::pread(fd, out, bytes, static_cast<off_t>(offset)) == static_cast<ssize_t>(bytes);
}

// Looks for a defined `sluice_app_v1` in the dynamic symbol table, reading
// only the section headers and that table: the library is never loaded here.
// A library without section headers is left for the zygote to judge.
absl::Status CheckExportsApp(int fd, const std::string& path, const Elf64_Ehdr& header,
                             std::uint64_t file_size) {
  if (header.e_shoff == 0 || header.e_shnum == 0) return absl::OkStatus();
  if (header.e_shentsize != sizeof(Elf64_Shdr)) {
    return absl::InvalidArgumentError(StrCat(path, " has malformed ELF section headers"));
  }
  std::vector<Elf64_Shdr> sections(header.e_shnum);
  if (!ReadAt(fd, sections.data(), sections.size() * sizeof(Elf64_Shdr), header.e_shoff,
              file_size)) {
    return absl::InvalidArgumentError(StrCat(path, " is truncated (section headers)"));
  }
  for (const Elf64_Shdr& table : sections) {
    if (table.sh_type != SHT_DYNSYM) continue;
    if (table.sh_link >= sections.size() || table.sh_size > kMaxTableBytes ||
        sections[table.sh_link].sh_size > kMaxTableBytes) {
      return absl::InvalidArgumentError(StrCat(path, " has a malformed symbol table"));
    }
    const Elf64_Shdr& strings = sections[table.sh_link];
    std::vector<Elf64_Sym> symbols(table.sh_size / sizeof(Elf64_Sym));
    std::string names(strings.sh_size, '\0');
    if (!ReadAt(fd, symbols.data(), symbols.size() * sizeof(Elf64_Sym), table.sh_offset,
                file_size) ||
        !ReadAt(fd, names.data(), names.size(), strings.sh_offset, file_size)) {
      return absl::InvalidArgumentError(StrCat(path, " is truncated (symbol table)"));
    }
    for (const Elf64_Sym& symbol : symbols) {
      if (symbol.st_name >= names.size() || symbol.st_shndx == SHN_UNDEF) continue;
      if (std::strcmp(names.c_str() + symbol.st_name, kAppSymbol) == 0) return absl::OkStatus();
    }
  }
  return absl::InvalidArgumentError(
      StrCat(path, " is not a sluice app: it has no SLUICE_APP(...) registration"));
}

}  // namespace

absl::Status CheckAppLibrary(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) {
    return absl::NotFoundError(
        StrCat("cannot open app library ", path, ": ", std::strerror(errno)));
  }
  struct stat info;
  if (::fstat(fd.get(), &info) != 0 || !S_ISREG(info.st_mode)) {
    return absl::InvalidArgumentError(StrCat(path, " is not a regular file"));
  }
  Elf64_Ehdr header;
  ssize_t n = ::pread(fd.get(), &header, sizeof(header), 0);
  if (n != static_cast<ssize_t>(sizeof(header)) ||
      std::memcmp(header.e_ident, ELFMAG, SELFMAG) != 0) {
    return absl::InvalidArgumentError(StrCat(path, " is not a shared library (not ELF)"));
  }
  if (header.e_type != ET_DYN) {
    return absl::InvalidArgumentError(
        StrCat(path, " is not a shared library (ELF type ", header.e_type, ")"));
  }
  if (header.e_ident[EI_CLASS] != ELFCLASS64 || header.e_machine != EM_X86_64) {
    return absl::InvalidArgumentError(StrCat(path, " was not built for this machine"));
  }
  return CheckExportsApp(fd.get(), path, header, static_cast<std::uint64_t>(info.st_size));
}

}  // namespace sluice::broker

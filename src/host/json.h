// A small JSON value for what allocpipe-host reads and writes: library
// manifests, its own journal, `status --json`. Numbers are int64 or double.
// Parse errors name the input and the byte offset.
#pragma once
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace allocpipe::host {

class Json {
 public:
  enum class Type { null, boolean, integer, real, string, array, object };
  using Array = std::vector<Json>;
  using Object = std::map<std::string, Json>;

  Json() = default;
  Json(std::nullptr_t) {}
  Json(bool b) : type_(Type::boolean), bool_(b) {}
  Json(int i) : type_(Type::integer), int_(i) {}
  Json(long i) : type_(Type::integer), int_(i) {}
  Json(long long i) : type_(Type::integer), int_(i) {}
  Json(unsigned i) : type_(Type::integer), int_(i) {}
  Json(unsigned long i) : type_(Type::integer), int_(static_cast<std::int64_t>(i)) {}
  Json(unsigned long long i) : type_(Type::integer), int_(static_cast<std::int64_t>(i)) {}
  Json(double d) : type_(Type::real), real_(d) {}
  Json(const char* s) : type_(Type::string), string_(s) {}
  Json(std::string s) : type_(Type::string), string_(std::move(s)) {}
  Json(Array a) : type_(Type::array), array_(std::move(a)) {}
  Json(Object o) : type_(Type::object), object_(std::move(o)) {}

  static Json parse(const std::string& text, const std::string& what);

  Type type() const { return type_; }
  bool is_null() const { return type_ == Type::null; }
  bool is_string() const { return type_ == Type::string; }
  bool is_object() const { return type_ == Type::object; }
  bool is_array() const { return type_ == Type::array; }

  // Typed access; `what` names the value in the error when the type is wrong.
  const std::string& str(const std::string& what) const;
  std::int64_t integer(const std::string& what) const;
  bool boolean(const std::string& what) const;
  const Array& array(const std::string& what) const;
  const Object& object(const std::string& what) const;
  Array& array_mut() { return array_; }
  Object& object_mut() { return object_; }

  // Object members: `at` throws naming the key when absent; `get` returns null.
  const Json& at(const std::string& key, const std::string& what) const;
  const Json& get(const std::string& key) const;
  Json& operator[](const std::string& key);  // makes an object of a null value

  std::string dump(int indent = 2) const;

 private:
  void dump_to(std::string& out, int indent, int depth) const;

  Type type_ = Type::null;
  bool bool_ = false;
  std::int64_t int_ = 0;
  double real_ = 0;
  std::string string_;
  Array array_;
  Object object_;
};

std::string json_quote(const std::string& text);

}  // namespace allocpipe::host

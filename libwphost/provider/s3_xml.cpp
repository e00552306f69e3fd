// The S3 client's pure helpers: a small bounds-checked XML reader, the
// ListObjectsV2 / error / multipart documents, keys, base64, ranges.
#include <cctype>
#include <cstring>

#include "engine/error.hpp"
#include "provider/s3.hpp"

namespace wph::provider::s3 {

namespace {

constexpr int kMaxDepth = 32;
constexpr std::size_t kMaxNodes = 1u << 20;

[[noreturn]] void malformed(std::string_view what, std::string_view why, std::size_t at) {
    raise(WPH_EPROVIDER, "s3", "s3: " + std::string(what) + ": malformed XML at byte " + std::to_string(at) + ": " +
                                   std::string(why));
}

void put_utf8(std::string &out, std::uint32_t cp) {
    if (cp < 0x80) {
        out += static_cast<char>(cp);
    } else if (cp < 0x800) {
        out += static_cast<char>(0xC0 | (cp >> 6));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        out += static_cast<char>(0xE0 | (cp >> 12));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
        out += static_cast<char>(0xF0 | (cp >> 18));
        out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    }
}

// Decodes entities of text; false on a malformed or unknown one.
bool unescape_into(std::string_view text, std::string &out) {
    out.reserve(out.size() + text.size());
    for (std::size_t i = 0; i < text.size(); ++i) {
        char c = text[i];
        if (c != '&') {
            out += c;
            continue;
        }
        auto semi = text.find(';', i + 1);
        if (semi == std::string_view::npos || semi - i > 12) return false;
        std::string_view ent = text.substr(i + 1, semi - i - 1);
        if (ent == "amp") out += '&';
        else if (ent == "lt") out += '<';
        else if (ent == "gt") out += '>';
        else if (ent == "quot") out += '"';
        else if (ent == "apos") out += '\'';
        else if (ent.size() >= 2 && ent[0] == '#') {
            std::uint32_t cp = 0;
            bool hexa = ent[1] == 'x' || ent[1] == 'X';
            std::string_view digits = ent.substr(hexa ? 2 : 1);
            if (digits.empty() || digits.size() > 8) return false;
            for (char d : digits) {
                int v;
                if (d >= '0' && d <= '9') v = d - '0';
                else if (hexa && d >= 'a' && d <= 'f') v = d - 'a' + 10;
                else if (hexa && d >= 'A' && d <= 'F') v = d - 'A' + 10;
                else return false;
                cp = cp * (hexa ? 16 : 10) + static_cast<std::uint32_t>(v);
                if (cp > 0x10FFFF) return false;
            }
            if (cp == 0 || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
            put_utf8(out, cp);
        } else {
            return false;
        }
        i = semi;
    }
    return true;
}

bool name_char(char c) {
    unsigned char u = static_cast<unsigned char>(c);
    return std::isalnum(u) || c == '_' || c == '-' || c == '.' || c == ':' || u >= 0x80;
}

class Parser {
public:
    Parser(std::string_view xml, std::string_view what) : s_(xml), what_(what) {}

    XmlNode document() {
        skip_misc();
        if (!at("<")) fail("no root element");
        XmlNode root = element(0);
        skip_misc();
        if (i_ != s_.size()) fail("content after the root element");
        return root;
    }

private:
    [[noreturn]] void fail(std::string_view why) { malformed(what_, why, i_); }
    bool at(std::string_view t) const { return s_.compare(i_, t.size(), t) == 0; }
    void skip_ws() {
        while (i_ < s_.size() && (s_[i_] == ' ' || s_[i_] == '\t' || s_[i_] == '\r' || s_[i_] == '\n')) ++i_;
    }
    void skip_past(std::string_view end, std::string_view why) {
        auto p = s_.find(end, i_);
        if (p == std::string_view::npos) fail(why);
        i_ = p + end.size();
    }
    // Whitespace, comments, processing instructions (the XML declaration).
    void skip_misc() {
        for (;;) {
            skip_ws();
            if (at("<?")) skip_past("?>", "unterminated processing instruction");
            else if (at("<!--")) skip_past("-->", "unterminated comment");
            else if (at("<!DOCTYPE") || at("<!doctype")) fail("a DOCTYPE is not accepted");
            else return;
        }
    }
    std::string name() {
        std::size_t b = i_;
        while (i_ < s_.size() && name_char(s_[i_])) ++i_;
        if (i_ == b) fail("expected a name");
        return std::string(s_.substr(b, i_ - b));
    }
    static std::string local(const std::string &qname) {
        auto c = qname.rfind(':');
        return c == std::string::npos ? qname : qname.substr(c + 1);
    }
    XmlNode element(int depth) {
        if (depth >= kMaxDepth) fail("elements nested too deeply");
        if (++nodes_ > kMaxNodes) fail("too many elements");
        ++i_;  // '<'
        XmlNode node;
        const std::string qname = name();
        node.name = local(qname);
        // Attributes: read past, quoted values honoured.
        for (;;) {
            skip_ws();
            if (i_ >= s_.size()) fail("unterminated start tag");
            if (at("/>")) {
                i_ += 2;
                return node;
            }
            if (s_[i_] == '>') {
                ++i_;
                break;
            }
            name();
            skip_ws();
            if (i_ >= s_.size() || s_[i_] != '=') fail("expected '=' after an attribute name");
            ++i_;
            skip_ws();
            if (i_ >= s_.size() || (s_[i_] != '"' && s_[i_] != '\'')) fail("expected a quoted attribute value");
            char q = s_[i_++];
            auto e = s_.find(q, i_);
            if (e == std::string_view::npos) fail("unterminated attribute value");
            i_ = e + 1;
        }
        // Content.
        for (;;) {
            if (i_ >= s_.size()) fail("unterminated element <" + qname + ">");
            if (at("</")) {
                i_ += 2;
                std::string end = name();
                if (end != qname) fail("</" + end + "> closes <" + qname + ">");
                skip_ws();
                if (i_ >= s_.size() || s_[i_] != '>') fail("unterminated end tag");
                ++i_;
                return node;
            }
            if (at("<!--")) {
                skip_past("-->", "unterminated comment");
            } else if (at("<![CDATA[")) {
                i_ += 9;
                auto e = s_.find("]]>", i_);
                if (e == std::string_view::npos) fail("unterminated CDATA section");
                node.text.append(s_.substr(i_, e - i_));
                i_ = e + 3;
            } else if (at("<?")) {
                skip_past("?>", "unterminated processing instruction");
            } else if (s_[i_] == '<') {
                node.children.push_back(element(depth + 1));
            } else {
                auto e = s_.find('<', i_);
                if (e == std::string_view::npos) e = s_.size();
                if (!unescape_into(s_.substr(i_, e - i_), node.text)) fail("a malformed entity");
                i_ = e;
            }
        }
    }

    std::string_view s_;
    std::string_view what_;
    std::size_t i_ = 0;
    std::size_t nodes_ = 0;
};

std::int64_t to_int64(std::string_view s, std::string_view what, std::string_view field) {
    std::int64_t v = 0;
    if (s.empty() || s.size() > 18) raise(WPH_EPROVIDER, "s3", "s3: " + std::string(what) + ": <" + std::string(field) + "> is not a size");
    for (char c : s) {
        if (c < '0' || c > '9') raise(WPH_EPROVIDER, "s3", "s3: " + std::string(what) + ": <" + std::string(field) + "> is not a size");
        v = v * 10 + (c - '0');
    }
    return v;
}

}  // namespace

const XmlNode *XmlNode::child(std::string_view n) const {
    for (const auto &c : children)
        if (c.name == n) return &c;
    return nullptr;
}

std::string XmlNode::child_text(std::string_view n) const {
    const XmlNode *c = child(n);
    return c ? c->text : std::string();
}

XmlNode parse_xml(std::string_view xml, std::string_view what) { return Parser(xml, what).document(); }

std::string xml_unescape(std::string_view text) {
    std::string out;
    if (!unescape_into(text, out)) raise(WPH_EPROVIDER, "s3", "s3: malformed XML entity");
    return out;
}

std::string xml_escape(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (char c : text) {
        switch (c) {
            case '&': out += "&amp;"; break;
            case '<': out += "&lt;"; break;
            case '>': out += "&gt;"; break;
            case '"': out += "&quot;"; break;
            case '\'': out += "&apos;"; break;
            default: out += c;
        }
    }
    return out;
}

std::optional<XmlError> parse_error(std::string_view body) {
    std::size_t b = 0;
    while (b < body.size() && std::isspace(static_cast<unsigned char>(body[b]))) ++b;
    if (b >= body.size() || body[b] != '<') return std::nullopt;
    try {
        XmlNode root = parse_xml(body, "error answer");
        if (root.name != "Error") return std::nullopt;
        XmlError e;
        e.code = root.child_text("Code");
        e.message = root.child_text("Message");
        e.resource = root.child_text("Resource");
        if (e.resource.empty()) e.resource = root.child_text("Key");
        e.request_id = root.child_text("RequestId");
        if (e.code.empty() && e.message.empty()) return std::nullopt;
        return e;
    } catch (const Error &) {
        return std::nullopt;
    }
}

ListPage parse_list_page(std::string_view xml) {
    constexpr std::string_view what = "ListObjectsV2 answer";
    XmlNode root = parse_xml(xml, what);
    if (root.name != "ListBucketResult")
        raise(WPH_EPROVIDER, "s3", "s3: " + std::string(what) + ": the root element is <" + root.name + ">, not <ListBucketResult>");
    ListPage page;
    for (const auto &c : root.children) {
        if (c.name == "Contents") {
            Object o;
            const XmlNode *key = c.child("Key");
            if (!key) raise(WPH_EPROVIDER, "s3", "s3: " + std::string(what) + ": <Contents> without <Key>");
            o.key = key->text;
            o.size = to_int64(c.child_text("Size"), what, "Size");
            o.etag = strip_quotes(c.child_text("ETag"));
            o.last_modified = c.child_text("LastModified");
            page.objects.push_back(std::move(o));
        } else if (c.name == "CommonPrefixes") {
            for (const auto &p : c.children)
                if (p.name == "Prefix") page.prefixes.push_back(p.text);
        } else if (c.name == "IsTruncated") {
            page.truncated = c.text == "true";
        } else if (c.name == "NextContinuationToken") {
            page.next_token = c.text;
        }
    }
    if (page.truncated && page.next_token.empty())
        raise(WPH_EPROVIDER, "s3", "s3: " + std::string(what) + ": truncated without a <NextContinuationToken>");
    return page;
}

std::string parse_upload_id(std::string_view xml) {
    XmlNode root = parse_xml(xml, "CreateMultipartUpload answer");
    std::string id = root.name == "InitiateMultipartUploadResult" ? root.child_text("UploadId") : std::string();
    if (id.empty()) raise(WPH_EPROVIDER, "s3", "s3: CreateMultipartUpload answer: no <UploadId>");
    return id;
}

std::string complete_body(const std::vector<std::pair<int, std::string>> &parts) {
    std::string out = "<CompleteMultipartUpload xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">";
    for (const auto &[n, etag] : parts)
        out += "<Part><PartNumber>" + std::to_string(n) + "</PartNumber><ETag>" + xml_escape(etag) + "</ETag></Part>";
    out += "</CompleteMultipartUpload>";
    return out;
}

bool valid_utf8(std::string_view s) {
    std::size_t i = 0;
    while (i < s.size()) {
        unsigned char c = static_cast<unsigned char>(s[i]);
        std::size_t n;
        std::uint32_t cp;
        if (c < 0x80) {
            ++i;
            continue;
        } else if ((c & 0xE0) == 0xC0) {
            n = 1;
            cp = c & 0x1F;
        } else if ((c & 0xF0) == 0xE0) {
            n = 2;
            cp = c & 0x0F;
        } else if ((c & 0xF8) == 0xF0) {
            n = 3;
            cp = c & 0x07;
        } else {
            return false;
        }
        if (i + n >= s.size()) return false;
        for (std::size_t k = 1; k <= n; ++k) {
            unsigned char d = static_cast<unsigned char>(s[i + k]);
            if ((d & 0xC0) != 0x80) return false;
            cp = (cp << 6) | (d & 0x3F);
        }
        if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) || cp > 0x10FFFF ||
            (cp >= 0xD800 && cp <= 0xDFFF))
            return false;
        i += n + 1;
    }
    return true;
}

void validate_key(std::string_view key) {
    if (key.empty()) raise(WPH_EINVALID, "s3", "s3: \"key\" must not be empty");
    if (key.size() > kMaxKeyBytes)
        raise(WPH_EINVALID, "s3", "s3: \"key\" is " + std::to_string(key.size()) + " bytes long, more than 1024");
    if (!valid_utf8(key)) raise(WPH_EINVALID, "s3", "s3: \"key\" is not valid UTF-8");
    if (has_dot_segment(key))
        raise(WPH_EINVALID, "s3", "s3: \"key\" must not have \".\" or \"..\" segments between slashes");
}

bool has_dot_segment(std::string_view key) {
    std::size_t i = 0;
    while (i <= key.size()) {
        auto j = key.find('/', i);
        if (j == std::string_view::npos) j = key.size();
        std::string_view seg = key.substr(i, j - i);
        if (seg == "." || seg == "..") return true;
        i = j + 1;
    }
    return false;
}

std::string base64_encode(std::string_view data) {
    static const char tbl[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    out.reserve((data.size() + 2) / 3 * 4);
    std::size_t i = 0;
    for (; i + 3 <= data.size(); i += 3) {
        std::uint32_t v = (static_cast<unsigned char>(data[i]) << 16) | (static_cast<unsigned char>(data[i + 1]) << 8) |
                          static_cast<unsigned char>(data[i + 2]);
        out += tbl[v >> 18];
        out += tbl[(v >> 12) & 63];
        out += tbl[(v >> 6) & 63];
        out += tbl[v & 63];
    }
    if (std::size_t rest = data.size() - i) {
        std::uint32_t v = static_cast<unsigned char>(data[i]) << 16;
        if (rest == 2) v |= static_cast<unsigned char>(data[i + 1]) << 8;
        out += tbl[v >> 18];
        out += tbl[(v >> 12) & 63];
        out += rest == 2 ? tbl[(v >> 6) & 63] : '=';
        out += '=';
    }
    return out;
}

std::optional<std::string> base64_decode(std::string_view text) {
    auto val = [](char c) -> int {
        if (c >= 'A' && c <= 'Z') return c - 'A';
        if (c >= 'a' && c <= 'z') return c - 'a' + 26;
        if (c >= '0' && c <= '9') return c - '0' + 52;
        if (c == '+' || c == '-') return 62;
        if (c == '/' || c == '_') return 63;
        return -1;
    };
    std::string clean;
    clean.reserve(text.size());
    for (char c : text)
        if (c != '\n' && c != '\r' && c != ' ' && c != '\t') clean += c;
    if (clean.size() % 4 == 0)
        for (int pad = 0; pad < 2 && !clean.empty() && clean.back() == '='; ++pad) clean.pop_back();
    if (clean.size() % 4 == 1) return std::nullopt;
    std::string out;
    out.reserve(clean.size() * 3 / 4);
    std::uint32_t acc = 0;
    int bits = 0;
    for (char c : clean) {
        int v = val(c);
        if (v < 0) return std::nullopt;
        acc = (acc << 6) | static_cast<std::uint32_t>(v);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out += static_cast<char>((acc >> bits) & 0xFF);
        }
    }
    return out;
}

std::string range_header(std::int64_t offset, std::int64_t length) {
    if (offset < 0) raise(WPH_EINVALID, "s3", "s3: \"range\": the offset must not be negative");
    if (length <= 0) return "bytes=" + std::to_string(offset) + "-";
    return "bytes=" + std::to_string(offset) + "-" + std::to_string(offset + length - 1);
}

std::string strip_quotes(std::string_view etag) {
    if (etag.size() >= 2 && etag.front() == '"' && etag.back() == '"') etag = etag.substr(1, etag.size() - 2);
    return std::string(etag);
}

}  // namespace wph::provider::s3

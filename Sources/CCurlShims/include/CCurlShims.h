#ifndef CCURLSHIMS_H
#define CCURLSHIMS_H
#include <curl/curl.h>

/* curl_easy_setopt and curl_easy_getinfo are variadic, which Swift cannot call: one typed wrapper per
   argument type. */
CURLcode ccurl_setopt_long(CURL *handle, CURLoption option, long value);
CURLcode ccurl_setopt_string(CURL *handle, CURLoption option, const char *value);
CURLcode ccurl_setopt_pointer(CURL *handle, CURLoption option, void *value);
CURLcode ccurl_setopt_slist(CURL *handle, CURLoption option, struct curl_slist *value);

/* The upload callback: (buffer, size, count, userdata) -> bytes written to buffer. */
typedef size_t (*ccurl_read_callback)(char *buffer, size_t size, size_t count, void *userdata);
CURLcode ccurl_setopt_read_callback(CURL *handle, ccurl_read_callback callback);

/* The progress callback: (userdata, download total, downloaded, upload total, uploaded) -> non-zero aborts
   the transfer (CURLE_ABORTED_BY_CALLBACK). libcurl calls it often during a transfer and about once a second
   while it waits, so a send can be cancelled even while the server says nothing. */
typedef int (*ccurl_xferinfo_callback)(void *userdata, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
                                       curl_off_t ulnow);
CURLcode ccurl_setopt_xferinfo_callback(CURL *handle, ccurl_xferinfo_callback callback);

CURLcode ccurl_getinfo_long(CURL *handle, CURLINFO info, long *value);
#endif

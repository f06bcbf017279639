/// The files of Sources/AdminPage/Assets, compiled into the binary by SwiftPM (`.embedInCode`), which names
/// each `PackageResources.<name with _ for . and ->` but gives no list of them: this is the list.
/// Tests/AdminPageTests checks that it names every file of the folder.
enum AdminPageFiles {
    static let all: [(name: String, bytes: [UInt8])] = [
        ("index.html", PackageResources.index_html),
        ("style.css", PackageResources.style_css),
        ("icon.svg", PackageResources.icon_svg),
        ("app.js", PackageResources.app_js),
        ("api.js", PackageResources.api_js),
        ("dom.js", PackageResources.dom_js),
        ("forms.js", PackageResources.forms_js),
        ("paging.js", PackageResources.paging_js),
        ("page-sign-in.js", PackageResources.page_sign_in_js),
        ("page-customers.js", PackageResources.page_customers_js),
        ("page-customer.js", PackageResources.page_customer_js),
        ("page-new-customer.js", PackageResources.page_new_customer_js),
        ("page-groups.js", PackageResources.page_groups_js),
        ("page-group.js", PackageResources.page_group_js),
        ("page-operations.js", PackageResources.page_operations_js),
    ]
}

package receive

// The enumerations of InvoiceQueryFilters, as the OpenAPI document lists
// them (enums_test.go holds them to it).
var (
	// SubjectTypes: who the caller is on the invoice — Subject1 the seller,
	// Subject2 the buyer, Subject3 a third party (Podmiot3),
	// SubjectAuthorized the authorised subject (PodmiotUpowazniony).
	SubjectTypes = []string{"Subject1", "Subject2", "Subject3", "SubjectAuthorized"}
	// DateTypes: the date the range applies to — Issue (P_1), Invoicing
	// (received by KSeF), PermanentStorage (stored for good).
	DateTypes      = []string{"Issue", "Invoicing", "PermanentStorage"}
	SortOrders     = []string{"Asc", "Desc"}
	AmountTypes    = []string{"Brutto", "Netto", "Vat"}
	BuyerIDTypes   = []string{"Nip", "VatUe", "Other", "None"}
	InvoicingModes = []string{"Online", "Offline"}
	FormTypes      = []string{"FA", "PEF", "FA_RR"}
	InvoiceTypes   = []string{"Vat", "Zal", "Kor", "Roz", "Upr", "KorZal", "KorRoz", "VatPef", "VatPefSp", "KorPef", "VatRr", "KorVatRr"}
	// CurrencyCodes is ISO 4217 as KSeF accepts it.
	CurrencyCodes = []string{
		"AED", "AFN", "ALL", "AMD", "ANG", "AOA", "ARS", "AUD", "AWG", "AZN", "BAM", "BBD", "BDT", "BGN", "BHD",
		"BIF", "BMD", "BND", "BOB", "BOV", "BRL", "BSD", "BTN", "BWP", "BYN", "BZD", "CAD", "CDF", "CHE", "CHF",
		"CHW", "CLF", "CLP", "CNY", "COP", "COU", "CRC", "CUC", "CUP", "CVE", "CZK", "DJF", "DKK", "DOP", "DZD",
		"EGP", "ERN", "ETB", "EUR", "FJD", "FKP", "GBP", "GEL", "GGP", "GHS", "GIP", "GMD", "GNF", "GTQ", "GYD",
		"HKD", "HNL", "HRK", "HTG", "HUF", "IDR", "ILS", "IMP", "INR", "IQD", "IRR", "ISK", "JEP", "JMD", "JOD",
		"JPY", "KES", "KGS", "KHR", "KMF", "KPW", "KRW", "KWD", "KYD", "KZT", "LAK", "LBP", "LKR", "LRD", "LSL",
		"LYD", "MAD", "MDL", "MGA", "MKD", "MMK", "MNT", "MOP", "MRU", "MUR", "MVR", "MWK", "MXN", "MXV", "MYR",
		"MZN", "NAD", "NGN", "NIO", "NOK", "NPR", "NZD", "OMR", "PAB", "PEN", "PGK", "PHP", "PKR", "PLN", "PYG",
		"QAR", "RON", "RSD", "RUB", "RWF", "SAR", "SBD", "SCR", "SDG", "SEK", "SGD", "SHP", "SLL", "SOS", "SRD",
		"SSP", "STN", "SVC", "SYP", "SZL", "THB", "TJS", "TMT", "TND", "TOP", "TRY", "TTD", "TWD", "TZS", "UAH",
		"UGX", "USD", "USN", "UYI", "UYU", "UYW", "UZS", "VES", "VND", "VUV", "WST", "XAF", "XAG", "XAU", "XBA",
		"XBB", "XBC", "XBD", "XCD", "XCG", "XDR", "XOF", "XPD", "XPF", "XPT", "XSU", "XUA", "XXX", "YER", "ZAR",
		"ZMW", "ZWL"}
)

# OCI regions this configuration knows: region identifier -> region key (lower case) and realm domain.
# The same table as shared/oci/regions.py (tests/test_terraform.py compares them). Used to check that
# function_image is in OCI Registry of the function's own region and to keep tenancy-unique names
# (dynamic group, policies, topic) distinct per region. A region missing here is accepted by name
# (<region>.ocir.io, ocir.<region>.oci.oraclecloud.com); add it to both tables.
locals {
  regions = {
    "af-casablanca-1"   = { key = "lej", domain = "oraclecloud.com" }
    "af-johannesburg-1" = { key = "jnb", domain = "oraclecloud.com" }
    "ap-batam-1"        = { key = "hsg", domain = "oraclecloud.com" }
    "ap-chiyoda-1"      = { key = "nja", domain = "oraclecloud8.com" }
    "ap-chuncheon-1"    = { key = "yny", domain = "oraclecloud.com" }
    "ap-chuncheon-2"    = { key = "bno", domain = "oraclecloud35.com" }
    "ap-dcc-canberra-1" = { key = "wga", domain = "oraclecloud10.com" }
    "ap-dcc-gazipur-1"  = { key = "dac", domain = "oraclecloud15.com" }
    "ap-delhi-1"        = { key = "onm", domain = "oraclecloud.com" }
    "ap-hyderabad-1"    = { key = "hyd", domain = "oraclecloud.com" }
    "ap-ibaraki-1"      = { key = "ukb", domain = "oraclecloud8.com" }
    "ap-kulai-2"        = { key = "jbp", domain = "oraclecloud.com" }
    "ap-melbourne-1"    = { key = "mel", domain = "oraclecloud.com" }
    "ap-mumbai-1"       = { key = "bom", domain = "oraclecloud.com" }
    "ap-osaka-1"        = { key = "kix", domain = "oraclecloud.com" }
    "ap-seoul-1"        = { key = "icn", domain = "oraclecloud.com" }
    "ap-seoul-2"        = { key = "dtz", domain = "oraclecloud35.com" }
    "ap-singapore-1"    = { key = "sin", domain = "oraclecloud.com" }
    "ap-singapore-2"    = { key = "xsp", domain = "oraclecloud.com" }
    "ap-suwon-1"        = { key = "dln", domain = "oraclecloud35.com" }
    "ap-sydney-1"       = { key = "syd", domain = "oraclecloud.com" }
    "ap-tokyo-1"        = { key = "nrt", domain = "oraclecloud.com" }
    "ca-montreal-1"     = { key = "yul", domain = "oraclecloud.com" }
    "ca-toronto-1"      = { key = "yyz", domain = "oraclecloud.com" }
    "eu-amsterdam-1"    = { key = "ams", domain = "oraclecloud.com" }
    "eu-budapest-1"     = { key = "jsk", domain = "oraclecloud51.com" }
    "eu-crissier-1"     = { key = "avf", domain = "oraclecloud24.com" }
    "eu-dcc-dublin-1"   = { key = "ork", domain = "oraclecloud14.com" }
    "eu-dcc-dublin-2"   = { key = "snn", domain = "oraclecloud14.com" }
    "eu-dcc-milan-1"    = { key = "bgy", domain = "oraclecloud14.com" }
    "eu-dcc-milan-2"    = { key = "mxp", domain = "oraclecloud14.com" }
    "eu-dcc-rating-1"   = { key = "dus", domain = "oraclecloud14.com" }
    "eu-dcc-rating-2"   = { key = "dtm", domain = "oraclecloud14.com" }
    "eu-dcc-zurich-1"   = { key = "avz", domain = "oraclecloud24.com" }
    "eu-frankfurt-1"    = { key = "fra", domain = "oraclecloud.com" }
    "eu-frankfurt-2"    = { key = "str", domain = "oraclecloud.eu" }
    "eu-jovanovac-1"    = { key = "beg", domain = "oraclecloud20.com" }
    "eu-madrid-1"       = { key = "mad", domain = "oraclecloud.com" }
    "eu-madrid-2"       = { key = "vll", domain = "oraclecloud.eu" }
    "eu-madrid-3"       = { key = "orf", domain = "oraclecloud.com" }
    "eu-marseille-1"    = { key = "mrs", domain = "oraclecloud.com" }
    "eu-milan-1"        = { key = "lin", domain = "oraclecloud.com" }
    "eu-paris-1"        = { key = "cdg", domain = "oraclecloud.com" }
    "eu-stockholm-1"    = { key = "arn", domain = "oraclecloud.com" }
    "eu-turin-1"        = { key = "nrq", domain = "oraclecloud.com" }
    "eu-zurich-1"       = { key = "zrh", domain = "oraclecloud.com" }
    "il-jerusalem-1"    = { key = "mtz", domain = "oraclecloud.com" }
    "me-abudhabi-1"     = { key = "auh", domain = "oraclecloud.com" }
    "me-abudhabi-2"     = { key = "rkt", domain = "oraclecloud29.com" }
    "me-abudhabi-3"     = { key = "ahu", domain = "oraclecloud26.com" }
    "me-abudhabi-4"     = { key = "shj", domain = "oraclecloud29.com" }
    "me-alain-1"        = { key = "rba", domain = "oraclecloud26.com" }
    "me-alrayyan-1"     = { key = "vve", domain = "oraclecloud21.com" }
    "me-dcc-doha-1"     = { key = "doh", domain = "oraclecloud21.com" }
    "me-dcc-muscat-1"   = { key = "mct", domain = "oraclecloud9.com" }
    "me-dubai-1"        = { key = "dxb", domain = "oraclecloud.com" }
    "me-ibri-1"         = { key = "ibr", domain = "oraclecloud9.com" }
    "me-jeddah-1"       = { key = "jed", domain = "oraclecloud.com" }
    "me-riyadh-1"       = { key = "ruh", domain = "oraclecloud.com" }
    "mx-monterrey-1"    = { key = "mty", domain = "oraclecloud.com" }
    "mx-queretaro-1"    = { key = "qro", domain = "oraclecloud.com" }
    "sa-bogota-1"       = { key = "bog", domain = "oraclecloud.com" }
    "sa-riodejaneiro-1" = { key = "hnw", domain = "oraclecloud52.com" }
    "sa-santiago-1"     = { key = "scl", domain = "oraclecloud.com" }
    "sa-saopaulo-1"     = { key = "gru", domain = "oraclecloud.com" }
    "sa-valparaiso-1"   = { key = "vap", domain = "oraclecloud.com" }
    "sa-vinhedo-1"      = { key = "vcp", domain = "oraclecloud.com" }
    "uk-cardiff-1"      = { key = "cwl", domain = "oraclecloud.com" }
    "uk-gov-cardiff-1"  = { key = "brs", domain = "oraclegovcloud.uk" }
    "uk-gov-london-1"   = { key = "ltn", domain = "oraclegovcloud.uk" }
    "uk-london-1"       = { key = "lhr", domain = "oraclecloud.com" }
    "us-ashburn-1"      = { key = "iad", domain = "oraclecloud.com" }
    "us-ashburn-2"      = { key = "yxj", domain = "oraclecloud42.com" }
    "us-chicago-1"      = { key = "ord", domain = "oraclecloud.com" }
    "us-gov-ashburn-1"  = { key = "ric", domain = "oraclegovcloud.com" }
    "us-gov-chicago-1"  = { key = "pia", domain = "oraclegovcloud.com" }
    "us-gov-phoenix-1"  = { key = "tus", domain = "oraclegovcloud.com" }
    "us-langley-1"      = { key = "lfi", domain = "oraclegovcloud.com" }
    "us-luke-1"         = { key = "luf", domain = "oraclegovcloud.com" }
    "us-newark-1"       = { key = "pgc", domain = "oraclecloud42.com" }
    "us-phoenix-1"      = { key = "phx", domain = "oraclecloud.com" }
    "us-saltlake-2"     = { key = "aga", domain = "oraclecloud.com" }
    "us-sanjose-1"      = { key = "sjc", domain = "oraclecloud.com" }
    "us-somerset-1"     = { key = "ebb", domain = "oraclecloud23.com" }
    "us-thames-1"       = { key = "ebl", domain = "oraclecloud23.com" }
  }
}

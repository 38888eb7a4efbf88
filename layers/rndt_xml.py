"""The RNDT metadata record as ISO 19139 XML (gmd/gco), the form RNDT and CSW harvesters read.

Built from layers.metadata.rndt_record with ElementTree: every value is text content, escaped
by the serialiser, never string-formatted into the XML.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

NS = {
    "gmd": "http://www.isotc211.org/2005/gmd",
    "gco": "http://www.isotc211.org/2005/gco",
    "gml": "http://www.opengis.net/gml",
    "xlink": "http://www.w3.org/1999/xlink",
}
CODELISTS = "http://standards.iso.org/iso/19139/resources/gmxCodelists.xml"
INSPIRE_THESAURUS = "GEMET - INSPIRE themes, version 1.0"
for _prefix, _uri in NS.items():
    ET.register_namespace(_prefix, _uri)


def _q(tag: str) -> str:
    prefix, name = tag.split(":")
    return f"{{{NS[prefix]}}}{name}"


def _el(parent, path: str, text=None, **attrs):
    """Create the chain of elements in ``path`` ("gmd:a/gmd:b") under ``parent``; text on the last."""
    node = parent
    for tag in path.split("/"):
        node = ET.SubElement(node, _q(tag))
    for key, value in attrs.items():
        node.set(key, str(value))
    if text is not None:
        node.text = str(text)
    return node


def _string(parent, path: str, value) -> None:
    _el(parent, f"{path}/gco:CharacterString", "" if value is None else value)


def _code(parent, path: str, codelist: str, value: str) -> None:
    _el(parent, path, value, codeList=f"{CODELISTS}#{codelist}", codeListValue=value)


def _party(parent, path: str, party: dict, role: str) -> None:
    node = _el(parent, f"{path}/gmd:CI_ResponsibleParty")
    _string(node, "gmd:organisationName", party.get("organisation", ""))
    _string(
        node,
        "gmd:contactInfo/gmd:CI_Contact/gmd:address/gmd:CI_Address/gmd:electronicMailAddress",
        party.get("email", ""),
    )
    _code(node, "gmd:role/gmd:CI_RoleCode", "CI_RoleCode", party.get("role") or role)


def rndt_xml(record: dict) -> bytes:
    """ISO 19139 XML of a record from layers.metadata.rndt_record (UTF-8 bytes with declaration)."""
    root = ET.Element(_q("gmd:MD_Metadata"))
    _string(root, "gmd:fileIdentifier", record["file_identifier"])
    _code(root, "gmd:language/gmd:LanguageCode", "LanguageCode", record["language"])
    _code(root, "gmd:characterSet/gmd:MD_CharacterSetCode", "MD_CharacterSetCode", record["character_set"])
    _code(root, "gmd:hierarchyLevel/gmd:MD_ScopeCode", "MD_ScopeCode", "dataset")
    _party(root, "gmd:contact", record["metadata_contact"], "pointOfContact")
    _el(root, "gmd:dateStamp/gco:Date", (record["metadata_date"] or "")[:10])
    _string(root, "gmd:metadataStandardName", record["metadata_standard"]["name"])
    _string(root, "gmd:metadataStandardVersion", record["metadata_standard"]["version"])
    crs = record.get("rndt_reference_system") or record["reference_system"]
    _string(
        root,
        "gmd:referenceSystemInfo/gmd:MD_ReferenceSystem/gmd:referenceSystemIdentifier/gmd:RS_Identifier/gmd:code",
        crs,
    )
    _identification(_el(root, "gmd:identificationInfo/gmd:MD_DataIdentification"), record)
    _distribution(root, record)
    _lineage(root, record)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


def _identification(ident, record: dict) -> None:
    citation = _el(ident, "gmd:citation/gmd:CI_Citation")
    _string(citation, "gmd:title", record["title"])
    for kind, value in record["dates"].items():
        if value:
            date = _el(citation, "gmd:date/gmd:CI_Date")
            _el(date, "gmd:date/gco:Date", value[:10])
            _code(date, "gmd:dateType/gmd:CI_DateTypeCode", "CI_DateTypeCode", kind)
    _string(citation, "gmd:identifier/gmd:MD_Identifier/gmd:code", record["resource_identifier"])
    _code(
        citation,
        "gmd:presentationForm/gmd:CI_PresentationFormCode",
        "CI_PresentationFormCode",
        record["presentation_form"],
    )
    abstract = record["abstract"] + (" [dati sintetici / synthetic data]" if record["synthetic"] else "")
    _string(ident, "gmd:abstract", abstract)
    _party(ident, "gmd:pointOfContact", record["owner"], "owner")
    if record.get("maintenance_frequency"):
        _code(
            ident,
            "gmd:resourceMaintenance/gmd:MD_MaintenanceInformation/gmd:maintenanceAndUpdateFrequency"
            "/gmd:MD_MaintenanceFrequencyCode",
            "MD_MaintenanceFrequencyCode",
            record["maintenance_frequency"],
        )
    _keywords(ident, record)
    constraints = _el(ident, "gmd:resourceConstraints/gmd:MD_LegalConstraints")
    _string(constraints, "gmd:useLimitation", record.get("licence") or "")
    _code(constraints, "gmd:accessConstraints/gmd:MD_RestrictionCode", "MD_RestrictionCode", "otherRestrictions")
    _string(constraints, "gmd:otherConstraints", record.get("access_constraints") or "")
    if record.get("scale_denominator"):
        _el(
            ident,
            "gmd:spatialResolution/gmd:MD_Resolution/gmd:equivalentScale/gmd:MD_RepresentativeFraction"
            "/gmd:denominator/gco:Integer",
            record["scale_denominator"],
        )
    _code(ident, "gmd:language/gmd:LanguageCode", "LanguageCode", record["language"])
    if record.get("topic_category"):
        _el(ident, "gmd:topicCategory/gmd:MD_TopicCategoryCode", record["topic_category"])
    extent = record.get("extent")
    if extent:
        box = _el(ident, "gmd:extent/gmd:EX_Extent/gmd:geographicElement/gmd:EX_GeographicBoundingBox")
        for side, tag in (
            ("west", "westBoundLongitude"),
            ("east", "eastBoundLongitude"),
            ("south", "southBoundLatitude"),
            ("north", "northBoundLatitude"),
        ):
            _el(box, f"gmd:{tag}/gco:Decimal", extent[side])


def _keywords(ident, record: dict) -> None:
    if record["keywords"]:
        free = _el(ident, "gmd:descriptiveKeywords/gmd:MD_Keywords")
        for word in record["keywords"]:
            _string(free, "gmd:keyword", word)
    if record.get("inspire_theme"):
        inspire = _el(ident, "gmd:descriptiveKeywords/gmd:MD_Keywords")
        _string(inspire, "gmd:keyword", record["inspire_theme"])
        thesaurus = _el(inspire, "gmd:thesaurusName/gmd:CI_Citation")
        _string(thesaurus, "gmd:title", INSPIRE_THESAURUS)
        date = _el(thesaurus, "gmd:date/gmd:CI_Date")
        _el(date, "gmd:date/gco:Date", "2008-06-01")
        _code(date, "gmd:dateType/gmd:CI_DateTypeCode", "CI_DateTypeCode", "publication")


def _distribution(root, record: dict) -> None:
    if not record["distributions"]:
        return
    options = _el(root, "gmd:distributionInfo/gmd:MD_Distribution/gmd:transferOptions/gmd:MD_DigitalTransferOptions")
    for link in record["distributions"]:
        online = _el(options, "gmd:onLine/gmd:CI_OnlineResource")
        _el(online, "gmd:linkage/gmd:URL", link.get("url", ""))
        _string(online, "gmd:name", link.get("label", ""))


def _lineage(root, record: dict) -> None:
    quality = _el(root, "gmd:dataQualityInfo/gmd:DQ_DataQuality")
    _code(quality, "gmd:scope/gmd:DQ_Scope/gmd:level/gmd:MD_ScopeCode", "MD_ScopeCode", "dataset")
    versions = "; ".join(
        f"{v.get('dataset')} v{v.get('version')} ({str(v.get('loaded_at', ''))[:10]})"
        for v in record["lineage"]["versions"]
    )
    statement = " ".join(
        part
        for part in (
            record["lineage"]["statement"],
            record.get("attribution", ""),
            f"Versioni: {versions}." if versions else "",
        )
        if part
    )
    _string(quality, "gmd:lineage/gmd:LI_Lineage/gmd:statement", statement)
